// Small DOM helpers shared by the views.

/** An element with attributes (`className`, `hidden`, or any attribute) and text. */
export function element(tag, attributes = {}, text) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'className') node.className = value;
    else if (name === 'hidden') node.hidden = Boolean(value);
    else node.setAttribute(name, value);
  }
  if (text !== undefined) node.textContent = text;
  return node;
}

const SVG = 'http://www.w3.org/2000/svg';

/** An SVG element with attributes and text. */
export function svgElement(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name === 'className' ? 'class' : name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

export function chip(text, tone) {
  return element('span', { className: `chip ${tone}` }, text);
}

/** A condition's status as a tone: True ok, False fatal, else neutral. */
export function conditionTone(status) {
  return status === 'True' ? 'ok' : status === 'False' ? 'fatal' : 'neutral';
}
