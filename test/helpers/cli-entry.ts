// Runs the CLI from source (through tsx) so CLI tests see the current code without a build.
// Usage: node --import tsx test/helpers/cli-entry.ts <args...>
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
