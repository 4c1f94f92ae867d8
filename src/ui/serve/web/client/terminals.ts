// Terminal tabs: one xterm per node, all kept (a hidden tab keeps its shell and its scrollback).
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import { el } from './common.js';

const PASTE_CHUNK = 2000; // the server takes at most 4096 characters a message

interface Tab {
  node: string;
  term: Terminal;
  fit: FitAddon;
  pane: HTMLElement;
  button: HTMLButtonElement;
}

export class TerminalTabs {
  private readonly tabs = new Map<string, Tab>();
  private current: string | undefined;
  readonly bar = el('div', { class: 'tabs', role: 'tablist' });
  readonly panes = el('div', { class: 'panes' });

  constructor(
    private readonly send: (msg: object) => void,
    private readonly readOnly = false,
    private readonly fontSize = 13,
  ) {
    new ResizeObserver(() => this.fitCurrent()).observe(this.panes);
  }

  // A tab per node, the first shown; the terminals open when shown.
  setNodes(nodes: string[]): void {
    for (const n of [...this.tabs.keys()]) if (!nodes.includes(n)) this.remove(n);
    for (const n of nodes) if (!this.tabs.has(n)) this.add(n);
    if (!this.current || !this.tabs.has(this.current)) {
      const first = nodes[0];
      if (first) this.show(first);
    }
  }

  private add(node: string): void {
    const term = new Terminal({
      fontSize: this.fontSize,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", monospace',
      cursorBlink: !this.readOnly,
      disableStdin: this.readOnly,
      scrollback: 2000,
      theme: { background: '#10141a', foreground: '#d8dee9' },
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    const pane = el('div', { class: 'pane', 'data-node': node, hidden: true });
    this.panes.append(pane);
    term.open(pane);
    if (!this.readOnly)
      term.onData((data) => {
        if (pane.dataset.exited) {
          // The shell ended (exit, Ctrl-D): a key opens a new one.
          delete pane.dataset.exited;
          const t = this.tabs.get(node);
          if (t) this.attach(t);
          return;
        }
        for (let i = 0; i < data.length; i += PASTE_CHUNK)
          this.send({ t: 'term-in', node, data: data.slice(i, i + PASTE_CHUNK) });
      });
    term.onResize(({ cols, rows }) => {
      if (!this.readOnly) this.send({ t: 'term-resize', node, cols, rows });
    });
    const button = el('button', { class: 'tab', role: 'tab', 'data-node': node, onclick: () => this.show(node) }, node);
    this.bar.append(button);
    this.tabs.set(node, { node, term, fit, pane, button });
  }

  private remove(node: string): void {
    const t = this.tabs.get(node);
    if (!t) return;
    t.term.dispose();
    t.pane.remove();
    t.button.remove();
    this.tabs.delete(node);
  }

  // Shows a node's terminal and asks the server for it (opened there on first use, re-attached after).
  show(node: string): void {
    const t = this.tabs.get(node);
    if (!t) return;
    this.current = node;
    for (const x of this.tabs.values()) {
      x.pane.hidden = x !== t;
      x.button.classList.toggle('on', x === t);
      x.button.setAttribute('aria-selected', String(x === t));
    }
    this.fitCurrent();
    if (!t.pane.dataset.attached) this.attach(t);
    t.term.focus();
  }

  private attach(t: Tab): void {
    t.pane.dataset.attached = '1';
    t.term.reset();
    this.send({ t: 'term-open', node: t.node, cols: t.term.cols, rows: t.term.rows });
  }

  // After a reconnect or a new sandbox, the open terminals attach again (the server replays them).
  reattach(): void {
    for (const t of this.tabs.values()) delete t.pane.dataset.attached;
    if (this.current) {
      const t = this.tabs.get(this.current);
      if (t) this.attach(t);
    }
  }

  // The node's shell ended: the next key opens a new one.
  exited(node: string): void {
    const t = this.tabs.get(node);
    if (t) t.pane.dataset.exited = '1';
  }

  write(node: string, data: string): void {
    this.tabs.get(node)?.term.write(data);
  }

  private fitCurrent(): void {
    const t = this.current ? this.tabs.get(this.current) : undefined;
    if (t && !t.pane.hidden && t.pane.clientWidth > 0) t.fit.fit();
  }

  clear(): void {
    for (const n of [...this.tabs.keys()]) this.remove(n);
    this.current = undefined;
  }
}
