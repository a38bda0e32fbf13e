// The input editors: CodeMirror 6 with YAML highlighting, line numbers,
// bracket and indentation help, search and undo (basicSetup), a lint gutter
// for the diagnostics the page sets from the component's errors (lint.js),
// and, for the Composition, the input's completion and hover help
// (completion.js). One extension per concern, composed in one state.

import { basicSetup } from 'codemirror';
import { yaml } from '@codemirror/lang-yaml';
import { lintGutter, setDiagnostics } from '@codemirror/lint';
import { Annotation, EditorState, Prec } from '@codemirror/state';
import { EditorView, keymap } from '@codemirror/view';

/** Marks a text set by the page (an example, a share link), which is no edit. */
const replacing = Annotation.define();

/**
 * An editor in `parent`, named by the element `labelledBy` and described by
 * `describedBy` (ids), calling `onChange()` after each edit and `onSubmit()`
 * on Ctrl/Cmd+Enter. `extensions` adds to the set-up (completion, hover).
 */
export function createEditor({ parent, labelledBy, describedBy, onChange, onSubmit, extensions = [] }) {
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: '',
      extensions: [
        Prec.highest(keymap.of([{ key: 'Mod-Enter', run: () => (onSubmit(), true) }])),
        basicSetup,
        yaml(),
        lintGutter(),
        EditorView.contentAttributes.of({ 'aria-labelledby': labelledBy, 'aria-describedby': describedBy, 'aria-multiline': 'true' }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged && !update.transactions.every((transaction) => transaction.annotation(replacing))) onChange();
        }),
        ...extensions,
      ],
    }),
  });
  return view;
}

export function getText(view) {
  return view.state.doc.toString();
}

/** Replaces the whole text, without it counting as an edit. */
export function setText(view, text) {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text }, annotations: replacing.of(true) });
}

/** Shows `diagnostics` ({from, to, severity, message}) in the editor, replacing the last ones. */
export function showDiagnostics(view, diagnostics) {
  const length = view.state.doc.length;
  const clamped = diagnostics.map((diagnostic) => ({
    ...diagnostic,
    from: Math.min(diagnostic.from, length),
    to: Math.min(Math.max(diagnostic.to, diagnostic.from), length),
    source: 'render',
  }));
  view.dispatch(setDiagnostics(view.state, clamped));
}

/** Selects line `line` (1-based) and scrolls it into view. */
export function goToLine(view, line) {
  const doc = view.state.doc;
  const target = doc.line(Math.min(Math.max(line ?? 1, 1), doc.lines));
  view.dispatch({ selection: { anchor: target.from, head: target.to }, scrollIntoView: true });
  view.focus();
  view.dom.scrollIntoView({ block: 'nearest' });
}
