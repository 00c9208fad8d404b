// `pnpm bench` (see src/flags.ts for the flags, README.md for what it measures).
import { main } from './main.js';

// pnpm runs package scripts in the package folder; INIT_CWD is where the user typed the command.
process.exitCode = await main(process.argv.slice(2), {
  cwd: process.env.INIT_CWD ?? process.cwd(),
  handleSigint: true,
});
