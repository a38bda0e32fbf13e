// The Secrets view: every Secret and ConfigMap with its keys and their
// sizes; one value at a time is revealed on request, decoded in the page.

import { element } from '../dom.js';
import { displayValue, namespacedName, objectKeys, plural } from '../view.js';

export function renderSecrets(container, { objects }) {
  container.replaceChildren();
  if (objects.length === 0) {
    container.append(element('p', { className: 'empty' }, 'This render produces no Secrets or ConfigMaps.'));
    return;
  }
  for (const object of objects) {
    const name = namespacedName(object);
    const card = element('article', { className: 'object', 'aria-label': `${object.kind} ${name}` });
    const head = element('header', { className: 'object-head' });
    head.append(element('span', { className: 'kind' }, object.kind ?? 'Object'), element('h3', {}, name));
    if (object.type) head.append(element('span', { className: 'type' }, object.type));
    const keys = objectKeys(object);
    head.append(element('span', { className: 'key-count' }, plural(keys.length, 'key')));
    card.append(head);
    if (keys.length === 0) {
      card.append(element('p', { className: 'empty' }, 'No data.'));
    } else {
      const list = element('ul', { className: 'keys' });
      for (const entry of keys) list.append(keyRow(object, name, entry));
      card.append(list);
    }
    container.append(card);
  }
}

function keyRow(object, name, entry) {
  const row = element('li', { className: 'key' });
  row.append(element('code', { className: 'key-name' }, entry.key), element('span', { className: 'bytes' }, plural(entry.bytes, 'byte')));
  const value = element('code', { className: 'value', hidden: true });
  const label = (verb) => `${verb} ${entry.key} of ${object.kind} ${name}`;
  const button = element('button', { type: 'button', className: 'reveal', 'aria-expanded': 'false', 'aria-label': label('Reveal') }, 'Reveal');
  button.addEventListener('click', () => {
    const showing = button.getAttribute('aria-expanded') === 'true';
    if (showing) {
      value.textContent = '';
      value.hidden = true;
    } else {
      const shown = displayValue(entry.value());
      value.textContent = shown.text;
      value.classList.toggle('binary', shown.binary);
      value.title = shown.binary ? 'Not UTF-8: shown as hex bytes' : '';
      value.hidden = false;
    }
    const verb = showing ? 'Reveal' : 'Hide';
    button.textContent = verb;
    button.setAttribute('aria-expanded', String(!showing));
    button.setAttribute('aria-label', label(verb));
  });
  row.append(button, value);
  return row;
}
