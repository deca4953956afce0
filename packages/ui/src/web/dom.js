// DOM building for the dashboard. Data only ever becomes text nodes or attribute values set
// through the DOM API — never HTML — so names, errors and outputs cannot turn into markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Only in-page routes are links: a recorded string can never become a javascript: URL. */
function safeHref(value) {
  const text = String(value);
  return text.startsWith('#/') ? text : '#/';
}

function apply(node, attrs, children) {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) throw new Error(`dom: event attribute "${name}" is not allowed; use addEventListener`);
    if (name === 'href') node.setAttribute('href', safeHref(value));
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** An HTML element with attributes and children (strings become text). */
export function el(tag, attrs, ...children) {
  return apply(document.createElement(tag), attrs, children);
}

/** An SVG element, same rules. */
export function svg(tag, attrs, ...children) {
  return apply(document.createElementNS(SVG_NS, tag), attrs, children);
}

export function clear(node) {
  while (node.firstChild) node.firstChild.remove();
  return node;
}

/** Replaces a node's children; like `el`, nulls are skipped (native append would print "null"). */
export function fill(node, ...children) {
  return apply(clear(node), {}, children);
}

/** A one-line message at the bottom of the page. */
export function toast(message, kind = 'info') {
  const box = document.getElementById('toast');
  if (!box) return;
  box.textContent = String(message);
  box.className = `toast show ${kind === 'error' ? 'error' : ''}`;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (box.className = 'toast'), 6000);
}

/** A link out of the dashboard (the Temporal UI): only http(s) URLs, opened without an opener. */
export function externalLink(url, text) {
  let parsed;
  try {
    parsed = new URL(String(url));
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  const a = document.createElement('a');
  a.setAttribute('href', parsed.href);
  a.setAttribute('rel', 'noopener noreferrer');
  a.setAttribute('target', '_blank');
  a.textContent = text;
  return a;
}
