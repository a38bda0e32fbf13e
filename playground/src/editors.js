// The input editors: CodeMirror 6 with YAML highlighting, line numbers,
// bracket and indentation help, search and undo (basicSetup), a lint gutter
// for the diagnostics the page sets from the component's errors (lint.js),
// and, for the Composition, the input's completion and hover help
// (completion.js). One extension per concern, composed in one state.
// The page loads this module after it has asked for the first render, so
// CodeMirror's size does not delay the first output.

import { basicSetup } from 'codemirror';
import { yaml } from '@codemirror/lang-yaml';
import { lintGutter, setDiagnostics } from '@codemirror/lint';
import { Annotation, EditorState, Prec } from '@codemirror/state';
import { EditorView, keymap } from '@codemirror/view';

import { inputAssistance } from './completion.js';

/** Marks a text set by the page (an example, a share link), which is no edit. */
const replacing = Annotation.define();

/**
 * An editor per input, each in the element `input-<id>`, named by
 * `label-<id>` and described by `hint-<id>` and `error-<id>`.
 * `onChange(id, text)` follows each edit; `onSubmit()` is Ctrl/Cmd+Enter;
 * `assistance()` gives the Composition's completion and hover their
 * {schema, functionName, keys}.
 */
export class InputEditors {
  constructor({ inputs, texts, onChange, onSubmit, assistance }) {
    this.views = {};
    for (const { id } of inputs) {
      this.views[id] = new EditorView({
        parent: document.getElementById(`input-${id}`),
        state: EditorState.create({
          doc: texts[id] ?? '',
          extensions: [
            Prec.highest(keymap.of([{ key: 'Mod-Enter', run: () => (onSubmit(), true) }])),
            basicSetup,
            yaml(),
            lintGutter(),
            EditorView.contentAttributes.of({
              'aria-labelledby': `label-${id}`,
              'aria-describedby': `hint-${id} error-${id}`,
              'aria-multiline': 'true',
            }),
            EditorView.updateListener.of((update) => {
              if (update.docChanged && !update.transactions.every((transaction) => transaction.annotation(replacing))) {
                onChange(id, update.state.doc.toString());
              }
            }),
            id === 'composition' ? inputAssistance(assistance) : [],
          ],
        }),
      });
    }
  }

  /** Replaces an editor's text, without it counting as an edit. */
  setText(id, text) {
    const view = this.views[id];
    view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text }, annotations: replacing.of(true) });
  }

  /** Shows `diagnostics` ({from, to, severity, message}) in an editor, replacing the last ones. */
  setDiagnostics(id, diagnostics) {
    const view = this.views[id];
    const length = view.state.doc.length;
    const clamped = diagnostics.map((diagnostic) => ({
      ...diagnostic,
      from: Math.min(diagnostic.from, length),
      to: Math.min(Math.max(diagnostic.to, diagnostic.from), length),
      source: 'render',
    }));
    view.dispatch(setDiagnostics(view.state, clamped));
  }

  setInvalid(id, invalid) {
    const content = this.views[id].contentDOM;
    if (invalid) content.setAttribute('aria-invalid', 'true');
    else content.removeAttribute('aria-invalid');
  }

  focus(id) {
    this.views[id].focus();
  }

  /** Selects line `line` (1-based) and scrolls it into view. */
  goToLine(id, line) {
    const view = this.views[id];
    const doc = view.state.doc;
    const target = doc.line(Math.min(Math.max(line ?? 1, 1), doc.lines));
    view.dispatch({ selection: { anchor: target.from, head: target.to }, scrollIntoView: true });
    view.focus();
    view.dom.scrollIntoView({ block: 'nearest' });
  }

  selection(id) {
    const { state } = this.views[id];
    return state.sliceDoc(state.selection.main.from, state.selection.main.to);
  }
}
