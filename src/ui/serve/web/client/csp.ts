// The pages' Content-Security-Policy allows no inline style, yet xterm.js writes its theme and cell sizes
// into <style> elements it makes, and a 24-bit colour into a cell's style attribute. Imported first by
// every page, this gives each <style> made here the nonce of this response (at creation: a nonce added
// after insertion leaves the sheet empty), and turns a style attribute set by script into the same
// declarations set through the CSSOM, which the policy allows (it governs markup, not `el.style`).

const nonce = document.querySelector<HTMLStyleElement>('style[nonce]')?.nonce ?? '';

const setAttribute = Element.prototype.setAttribute;
const createElement = Document.prototype.createElement;
Document.prototype.createElement = function (this: Document, tag: string, options?: ElementCreationOptions) {
  const e = createElement.call(this, tag, options);
  if (nonce && e instanceof HTMLStyleElement) setAttribute.call(e, 'nonce', nonce);
  return e;
} as typeof Document.prototype.createElement;

Element.prototype.setAttribute = function (this: Element, name: string, value: string): void {
  if (name.toLowerCase() === 'style' && (this instanceof HTMLElement || this instanceof SVGElement))
    this.style.cssText = String(value);
  else setAttribute.call(this, name, value);
};

export {};
