// The rich-text editor for leads and answers (django-prose-editor, no build step).
//
// It offers exactly what the server keeps (explainers/richtext.py): paragraphs, bold, italic,
// links, bulleted and numbered lists, block quotes and line breaks. Anything else pasted from a
// word processor or a web page is dropped by the editor's schema, and the server sanitises the
// result again on save. Tiptap's injected <style> is turned off: the admin's Content Security
// Policy allows no inline styles, and the editor's own stylesheets cover what it set.
import {
  Blockquote,
  Bold,
  BulletList,
  Document,
  Dropcursor,
  Editor,
  Gapcursor,
  HardBreak,
  History,
  Italic,
  Link,
  ListItem,
  Menu,
  OrderedList,
  Paragraph,
  Text,
  gettext,
  initializeEditors,
  updateAttrsDialog,
} from "django-prose-editor/editor";

const SELECTOR = "[data-django-prose-editor-newsroom]";

function labelFor(textarea) {
  const label = textarea.id && document.querySelector(`label[for="${textarea.id}"]`);
  return label ? label.textContent.replace(/:\s*$/, "").trim() : "Text";
}

// Word processors and web pages often mark bold and italic with inline styles (Google Docs: a
// <span style="font-weight:700">, inside a <b style="font-weight:normal"> wrapper). The editor
// reads those through element.style, which the admin's Content Security Policy leaves empty, so
// pasted text would lose its formatting or turn bold throughout. Before the editor parses a
// paste, its style and event-handler attributes are renamed (so the browser neither applies nor
// reports them to the CSP), the styles are read as text and turned into <strong> and <em>, and
// the renamed attributes are dropped. The server sanitises whatever is saved regardless.
const BOLD = /^(bold|bolder|[6-9]00)$/;
const NOT_BOLD = /^(normal|lighter|[1-5]00)$/;
const PASTED = "data-pasted-";

function disarm(html) {
  return html.replace(/<[a-z][^>]*>/gi, (tag) =>
    tag.replace(/([\s/"'])(style|on[a-z]+)(\s*=)/gi, `$1${PASTED}$2$3`),
  );
}

function declarations(element) {
  const styles = {};
  for (const part of (element.getAttribute(`${PASTED}style`) || "").split(";")) {
    const [name, ...value] = part.split(":");
    if (value.length) styles[name.trim().toLowerCase()] = value.join(":").trim().toLowerCase();
  }
  return styles;
}

function wrapChildren(element, tag) {
  const wrapper = element.ownerDocument.createElement(tag);
  wrapper.append(...element.childNodes);
  element.append(wrapper);
}

function cleanPastedHTML(html) {
  const doc = new DOMParser().parseFromString(disarm(html), "text/html");
  for (const element of doc.body.querySelectorAll("*")) {
    const styles = declarations(element);
    const weight = styles["font-weight"] || "";
    const style = styles["font-style"] || "";
    const tag = element.localName;
    const unstyled =
      ((tag === "b" || tag === "strong") && NOT_BOLD.test(weight)) ||
      ((tag === "i" || tag === "em") && style === "normal");
    if (unstyled) {
      element.replaceWith(...element.childNodes);
      continue;
    }
    if (BOLD.test(weight)) wrapChildren(element, "strong");
    if (style === "italic" || style === "oblique") wrapChildren(element, "em");
  }
  for (const element of doc.body.querySelectorAll("*")) {
    for (const { name } of [...element.attributes]) {
      if (name.startsWith(PASTED) || name === "style" || name.startsWith("on")) {
        element.removeAttribute(name);
      }
    }
  }
  return doc.body.innerHTML;
}

// Link addresses, with the rules and patterns of explainers/richtext.py (link_address and
// address_problem), so that the dialog refuses what the server would refuse. An address typed
// without a scheme ("www.example.org/page", "//example.org/x") gets https://; a link may go to a
// web page, an e-mail address or another question of the explainer ("#why-now"). "" and "#" are
// a link still waiting for its address, which a draft may hold.
const NO_SCHEME_HOST = /^(?:[\p{L}\p{N}_-]+\.)+\p{L}{2,}(?::\d+)?(?:[/?#]\S*)?$/u;
const SCHEME = /^[a-z][a-z0-9+.-]*:/i;
const GOOD_ADDRESS = /^(?:https?:\/\/[^\s/?#]+(?:[/?#]\S*)?|mailto:\S+|#[^\s#]+)$/i;

function linkAddress(href) {
  const address = (href || "").trim();
  if (address.startsWith("//")) return `https:${address}`;
  if (!SCHEME.test(address) && NO_SCHEME_HOST.test(address)) return `https://${address}`;
  return address;
}

function addressProblem(address) {
  if (address === "" || address === "#" || GOOD_ADDRESS.test(address)) return "";
  return (
    `“${address}” is not a web address: use one starting with https://, http:// or mailto:, ` +
    "or # and the anchor of a question of this explainer."
  );
}

// django-prose-editor's link dialog, with the address checked as it is typed: a refused one
// keeps the dialog open, its reason shown under the field (and announced) when Update is
// pressed. An emptied address removes the link.
function linkDialog(editor, attrs) {
  const asked = updateAttrsDialog(
    {
      href: { type: "string", title: gettext("URL") },
      title: { type: "string", title: gettext("Title") },
    },
    { title: gettext("Edit Link") },
  )(editor, { href: attrs.href || "", title: attrs.title || "" });
  // The dialog is in the page as soon as it is asked for: the newest one is this one.
  const dialog = [...editor.view.dom.parentElement.querySelectorAll(".prose-editor-dialog")].pop();
  const input = dialog.querySelector('input[name="href"]');
  const message = document.createElement("p");
  message.id = `${input.id}-problem`;
  message.className = "newsroom-link-problem";
  message.setAttribute("role", "alert");
  input.after(message);
  input.setAttribute("aria-describedby", message.id);
  const check = () => {
    const problem = addressProblem(linkAddress(input.value));
    input.setCustomValidity(problem);
    if (!problem || message.textContent) message.textContent = problem;
  };
  input.addEventListener("input", check);
  input.addEventListener("invalid", () => {
    message.textContent = input.validationMessage;
  });
  check();
  return asked;
}

const NewsroomLink = Link.extend({
  addCommands() {
    return {
      ...this.parent?.(),
      addLink:
        () =>
        ({ editor }) => {
          if (editor.state.selection.empty && !editor.isActive(this.name)) return false;
          linkDialog(editor, editor.getAttributes(this.name)).then((attrs) => {
            if (!attrs) return;
            const href = linkAddress(attrs.href);
            const chain = editor.chain().focus();
            if (!href) {
              chain.extendMarkRange(this.name).unsetLink().run();
            } else if (editor.isActive(this.name)) {
              chain
                .extendMarkRange(this.name)
                .updateAttributes(this.name, { href, title: attrs.title || null })
                .run();
            } else {
              chain.setMark(this.name, { href, title: attrs.title || null }).run();
            }
          });
          return true;
        },
    };
  },
});

// django-prose-editor's createTextareaEditor, which takes no editor options: written out here to
// turn off the injected <style> and to add the paste clean-up and the accessible name.
function createEditor(textarea) {
  if (textarea.closest(".prose-editor")) return null;
  const disabled = textarea.hasAttribute("disabled");
  const wrapper = document.createElement("div");
  wrapper.className = disabled ? "prose-editor disabled" : "prose-editor";
  textarea.before(wrapper);
  wrapper.append(textarea);
  const editor = new Editor({
    element: wrapper,
    editable: !disabled,
    injectCSS: false,
    content: textarea.value,
    editorProps: {
      transformPastedHTML: cleanPastedHTML,
      attributes: {
        role: "textbox",
        "aria-multiline": "true",
        "aria-label": labelFor(textarea),
      },
    },
    extensions: [
      Document,
      Paragraph,
      Text,
      HardBreak,
      Bold,
      Italic,
      // No "open in new window" or list numbering options: the server keeps neither attribute.
      // Web addresses typed or pasted into the text become links to their https:// address,
      // unless the server would refuse them.
      NewsroomLink.configure({
        openOnClick: false,
        enableTarget: false,
        defaultProtocol: "https",
        shouldAutoLink: (url) => !addressProblem(linkAddress(url)),
      }),
      BulletList,
      OrderedList.configure({ enableListAttributes: false }),
      ListItem,
      Blockquote,
      History,
      Dropcursor,
      Gapcursor,
      Menu,
    ],
    onUpdate({ editor }) {
      const html = editor.getHTML();
      // An editor holding one empty paragraph is an empty field.
      textarea.value = /^<(\w+)(\s[^>]*)?><\/\1>$/i.test(html) ? "" : html;
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    },
    onDestroy() {
      wrapper.before(textarea);
      wrapper.remove();
    },
  });
  textarea.dispatchEvent(
    new CustomEvent("prose-editor:ready", { detail: { editor, textarea }, bubbles: true }),
  );
  return editor;
}

initializeEditors(createEditor, SELECTOR);
