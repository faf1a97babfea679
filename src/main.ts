#!/usr/bin/env node
// Entry point of the ecs-operator binary. Subcommands arrive with the issues that build them.
const usage = `usage: ecs-operator <command>
  (the operator's commands - run, crds, compose convert - are being built; see the README)`;

const [command] = process.argv.slice(2);
process.stderr.write(`${usage}\n`);
process.exitCode = command === undefined || command === "help" ? 0 : 2;
