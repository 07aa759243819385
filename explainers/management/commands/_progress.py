"""A progress bar for long commands, on the command's output, drawn only at verbosity ≥ 1 and
only on a terminal (a log or a pipe gets the summary alone)."""


class Progress:
    def __init__(self, command, what, verbosity):
        self.out = command.stdout
        self.what = what
        self.shown = verbosity >= 1 and command.stdout.isatty()
        self.drawn = False

    def __call__(self, done, total):
        if not self.shown or not total:
            return
        bar = "#" * round(30 * done / total)
        self.out.write(f"\r[{bar:<30}] {done:,}/{total:,} {self.what}", ending="")
        self.out.flush()
        self.drawn = True

    def end(self):
        if self.drawn:
            self.out.write("")
            self.drawn = False
