// Starts the gateway from GATEWAY_CONFIG for the conformance run and prints the port it bound.
import { loadConfig } from '../../src/config.js';
import { createDeps } from '../../src/deps.js';
import { startGateway } from '../../src/server.js';

const { config } = loadConfig();
const gw = await startGateway(await createDeps(config));
process.stdout.write(`GATEWAY_LISTENING ${gw.port}\n`);
const stop = () => void gw.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
