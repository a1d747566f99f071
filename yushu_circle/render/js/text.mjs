// The page's text: elements built with textContent only (no string from the data is ever
// parsed as HTML), numbers and shares as the panels print them, bilingual category names.

export function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

export function fmt(value) {
  return value === null || value === undefined ? "–" : String(value);
}

export function pct(value) {
  return value === null || value === undefined ? "–" : `${Math.round(value * 100)}%`;
}

// "幼儿园 Kindergarten", or the one name when both are the same (a user's category).
export function catLabel(cat) {
  return cat.zh === cat.en ? cat.zh : `${cat.zh} ${cat.en}`;
}
