// Building the DOM without HTML strings: every piece of text goes through
// textContent, every value through a property or attribute, so nothing a
// user typed (an alert's name, an email) can ever become markup.

// h('button.primary', {onclick, type: 'button'}, 'Save', child...)
export function h(tag, props = {}, ...children) {
  const [name, ...classes] = tag.split('.');
  const el = document.createElement(name || 'div');
  if (classes.length) el.className = classes.join(' ');
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key in el && typeof value !== 'string') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// Replaces everything inside `el` with `children`.
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// A labelled input: the label names it, the error slot beside it is where
// the API's errors[] for `field` appear (aria-describedby ties them).
export function field(label, input, fieldName) {
  const id = `f-${fieldName}-${Math.random().toString(36).slice(2, 8)}`;
  input.id = id;
  input.name = fieldName;
  const error = h('span.field-error', { id: `${id}-error`, role: 'alert', dataset: { field: fieldName } });
  input.setAttribute('aria-describedby', error.id);
  return h('div.field', {}, h('label', { for: id }, label), input, error);
}

// Shows a problem answer's errors[] beside their fields in `form`; what no
// field names goes to the form's own error slot.
export function showErrors(form, problem) {
  for (const slot of form.querySelectorAll('.field-error')) slot.textContent = '';
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
  const general = form.querySelector('.form-error');
  const rest = [];
  for (const e of problem?.errors || []) {
    const slot = form.querySelector(`.field-error[data-field="${CSS.escape(e.field)}"]`);
    if (slot) {
      slot.textContent = e.message;
      slot.previousElementSibling?.setAttribute('aria-invalid', 'true');
    } else rest.push(`${e.field}: ${e.message}`);
  }
  if (general) {
    general.textContent = rest.length ? rest.join('; ') : (problem?.errors?.length ? '' : problem?.detail || '');
  }
}

export function formatTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

let toastArea;
// A short-lived message in the live region (screen readers announce it).
export function toast(text, kind = 'info') {
  toastArea ||= document.getElementById('toasts');
  const t = h('div.toast', { role: 'status', dataset: { kind } }, text);
  toastArea.append(t);
  setTimeout(() => t.remove(), 6000);
  return t;
}
