// A node:test reporter that writes one JSON line per finished test or suite (name, file,
// nesting, outcome). `npm test` writes it beside the spec reporter, and the model checks read it
// to decide whether the evidence a control names really ran and passed in this same run.
export default async function* resultsReporter(source) {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { name, file, nesting, details, skip, todo } = event.data;
    // Node marks a skipped or todo test as a pass: it is not evidence of anything.
    const outcome =
      skip !== undefined || todo !== undefined ? 'skipped' : event.type === 'test:pass' ? 'passed' : 'failed';
    yield `${JSON.stringify({ name, file, nesting, outcome, type: details?.type ?? 'test' })}\n`;
  }
}
