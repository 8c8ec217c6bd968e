/**
 * The layers of Vigil's code and the rules that keep them pointing one way, checked by
 * dependency-cruiser in `npm test` (`npm run lint:deps`). ARCHITECTURE.md draws them.
 *
 * From the bottom up (a layer may import its own and those below it, never those above):
 *
 *   1. leaves       src/htm, src/random, src/time, src/reading.ts, src/validate.ts, src/detectors
 *                   Pure algorithms and the reading's vocabulary. The detectors are leaves too:
 *                   a detector knows its own settings and memory, and nothing of a device.
 *   2. domain       src/contracts, src/device, src/formats, src/drop-in, src/samples
 *                   Vigil's pure core: output contracts, how a device applies an item, input
 *                   formats, the drop-in outputs, sample data. No I/O, no Temporal, no Kafka.
 *                   Inside it, in this order from the bottom: contracts (what a device
 *                   publishes), device (which makes them), formats (which make a device's
 *                   items), drop-in (outputs in the input formats' own shapes), samples.
 *   3. support      src/config.ts, src/model-store-settings.ts, src/logger.ts, src/metrics.ts, src/listen-port.ts, src/postgres-migrations.ts, src/retry.ts, src/security
 *                   src/security reads the connection-security settings (TLS, SASL, API keys,
 *                   sslmode), builds the clients' options from them, and tells a failed
 *                   connection in one line: pure but for reading the files settings name, and
 *                   below the configuration, which is made of it.
 *   4. runtime      src/workflows, src/activities, src/htm-runtime, src/model-store
 *                   What a Temporal worker runs. Workflow code is deterministic: it imports
 *                   activities by type only, and no Node or I/O module at all.
 *   5. processes    src/kafka, src/ingest, src/sink, src/board, src/operator, src/services, src/evaluation,
 *                   src/backtest, src/connections, src/workflow-client, src/worker.ts, src/workflow-bundle.ts
 *                   src/connections opens the connections to Temporal, Kafka and PostgreSQL with
 *                   those settings and checks each at start (bounded in time, one line on failure).
 *                   src/workflow-client is how every process reaches the device and fleet
 *                   workflows (handles, the running-devices query, thresholds as Updates);
 *                   src/operator is the operator commands' own code, which no other process imports.
 *   6. commands     src/cli.ts, src/cli/
 */
const leaves = '^src/(htm|random|time|detectors)/|^src/(reading|validate)\\.ts$';
const domain = '^src/(contracts|device|formats|drop-in|samples)/';
const support = '^src/(config|logger|metrics|listen-port|model-store-settings|postgres-migrations|retry)\\.ts$|^src/security/';
const runtime = '^src/(workflows|activities|htm-runtime|model-store)/';
const processes = '^src/(kafka|ingest|sink|board|operator|services|backtest|evaluation|connections|workflow-client)/|^src/(worker|workflow-bundle)\\.ts$';
const commands = '^src/cli(\\.ts$|/)';

/** Everything at or above a layer, as one alternation. */
const above = (...layers) => layers.join('|');

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules must not import each other in a circle: dependencies point one way.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-folder-circle',
      severity: 'error',
      comment:
        'Folders must not import each other in a circle either (a → b → c → a through different files): ' +
        'no-circular sees files only, and such a circle means two concepts are one, or one sits in the wrong folder.',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'leaves-stay-leaves',
      severity: 'error',
      comment: 'Leaves (HTM, random, time, detectors, the reading) import only other leaves.',
      from: { path: leaves },
      to: { path: '^src/', pathNot: leaves },
    },
    {
      name: 'pure-code-does-no-io',
      severity: 'error',
      comment: 'Leaves and the domain are pure: no Node built-ins and no client library of a server.',
      from: { path: above(leaves, domain) },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'pure-code-uses-few-libraries',
      severity: 'error',
      comment: 'Leaves and the domain use zod and csv-parse, nothing that reaches a server.',
      from: { path: above(leaves, domain) },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'], pathNot: 'node_modules/(zod|csv-parse)/' },
    },
    {
      name: 'domain-below-the-rest',
      severity: 'error',
      comment: 'The domain imports leaves and itself: no configuration, runtime, processes or commands.',
      from: { path: domain },
      to: { path: above(support, runtime, processes, commands) },
    },
    {
      name: 'support-below-runtime',
      severity: 'error',
      comment: 'Configuration, logging and metrics import nothing that runs.',
      from: { path: support },
      to: { path: above(runtime, processes, commands) },
    },
    {
      name: 'workflows-import-activities-by-type',
      severity: 'error',
      comment: 'Workflow code calls activities through proxyActivities: their module only as a type.',
      from: { path: '^src/workflows/' },
      to: { path: '^src/(activities|htm-runtime|model-store)/|' + support, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'workflows-are-deterministic',
      severity: 'error',
      comment: 'Workflow code runs in the sandbox: no Node built-ins, no client or worker SDK, no I/O library.',
      from: { path: '^src/workflows/' },
      to: {
        dependencyTypes: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'],
        pathNot: 'node_modules/(zod|@temporalio/(workflow|common))/',
      },
    },
    {
      name: 'runtime-below-processes',
      severity: 'error',
      comment: 'What a worker runs imports no process or command.',
      from: { path: runtime },
      to: { path: above(processes, commands) },
    },
    {
      name: 'processes-below-commands',
      severity: 'error',
      comment: 'Only the command line imports the command line.',
      from: { path: processes },
      to: { path: commands },
    },
    {
      name: 'only-commands-import-the-operator-cli',
      severity: 'error',
      comment:
        "src/operator is the operator commands' code: a process that needs a device workflow goes through src/workflow-client, " +
        "so the command line's code is never also the runtime's.",
      from: { path: '^src/', pathNot: '^src/operator/|' + commands },
      to: { path: '^src/operator/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'Every import resolves to a file or an installed package.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count, and are told apart (workflows may import activities as types).
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.json'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
