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
  initializeEditors,
} from "django-prose-editor/editor";

const SELECTOR = "[data-django-prose-editor-newsroom]";

function labelFor(textarea) {
  const label = textarea.id && document.querySelector(`label[for="${textarea.id}"]`);
  return label ? label.textContent.replace(/:\s*$/, "").trim() : "Text";
}

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
      Link.configure({ openOnClick: false, enableTarget: false }),
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
