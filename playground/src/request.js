// The inputs of `function-connection-details render`, in the order of its
// arguments, and the render-request the component's `renderer.render`
// export takes (wit/world.wit). Shared by the page, its worker and the Node
// tests, so all of them build requests the same way.

/**
 * One editor per input. `label` is what the page calls it, and so the file
 * name the component's input errors name; `file` is the file an example
 * folder holds it in; `flag` is the CLI argument it stands for.
 */
export const INPUTS = Object.freeze([
  { id: 'xr', label: 'XR', file: 'xr.yaml', flag: 'XR' },
  { id: 'composition', label: 'Composition', file: 'composition.yaml', flag: 'COMPOSITION' },
  { id: 'observed', label: 'Observed resources', file: 'observed.yaml', flag: '--observed-resources' },
  { id: 'secrets', label: 'Secrets', file: 'secrets.yaml', flag: '--secrets' },
  { id: 'required', label: 'Required resources', file: 'required.yaml', flag: '--required-resources' },
  { id: 'xrd', label: 'XRD', file: 'xrd.yaml', flag: '--xrd' },
  { id: 'claim', label: 'Claim', file: 'claim.yaml', flag: '--claim' },
]);

/** An editor left blank stands for an argument not given. */
export function isBlank(text) {
  return typeof text !== 'string' || text.trim() === '';
}

/**
 * The render-request for the given texts (by input id). XR and Composition
 * are always passed, so that a blank one is reported by the component; a
 * blank optional input is left out, like a flag not given. `names` maps an
 * input to the file name errors will use (by default its label).
 */
export function renderRequest(texts, { names = (input) => input.label, functionName = '' } = {}) {
  const file = (input) => ({ name: names(input), text: texts[input.id] ?? '' });
  const given = (input) => !isBlank(texts[input.id]);
  const byId = Object.fromEntries(INPUTS.map((input) => [input.id, input]));
  const list = (id) => (given(byId[id]) ? [file(byId[id])] : []);
  const optional = (id) => (given(byId[id]) ? file(byId[id]) : undefined);
  return {
    composite: file(byId.xr),
    composition: file(byId.composition),
    observedResources: list('observed'),
    secrets: list('secrets'),
    requiredResources: list('required'),
    xrd: optional('xrd'),
    claim: optional('claim'),
    functionName: functionName ?? '',
  };
}

/**
 * The input-error record of a failed render as plain data that survives
 * postMessage: jco throws a ComponentError whose `payload` is the record,
 * with `line` as a BigInt.
 */
export function inputErrorOf(error) {
  const payload = error && typeof error === 'object' ? error.payload : undefined;
  if (!payload || typeof payload !== 'object' || typeof payload.message !== 'string') {
    return undefined;
  }
  return {
    file: payload.file ?? null,
    line: payload.line === undefined || payload.line === null ? null : Number(payload.line),
    message: payload.message,
  };
}
