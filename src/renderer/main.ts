/**
 * Renderer entry: installs the API (window.iocm over IPC, or the WebSocket client
 * in a browser), starts the stores and mounts the app.
 */
import { createApp, h, ref } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import './styles.css';
import { getApi, onConnectionState, connectionState, getShell } from './transport/index.ts';
import { setApi } from './api-client.ts';
import { useConsoleStore } from './stores/console.ts';
import { useTelemetryStore } from './stores/telemetry.ts';
import { viewFromHash } from './lib/routes.ts';

const api = getApi();
setApi(api);
const conn = ref<string>(connectionState());
const app = createApp({ render: () => h(App, { connectionState: conn.value }) });
const pinia = createPinia();
app.use(pinia);
const consoleStore = useConsoleStore(pinia);
const telemetry = useTelemetryStore(pinia);
void telemetry.start();
void consoleStore.start();
onConnectionState((s) => {
  const was = conn.value;
  conn.value = s;
  // After a reconnect, reload the state the host may have changed meanwhile.
  if (s === 'open' && was !== 'open') void consoleStore.start();
});
getShell()?.onMenu((cmd) => {
  if (cmd.kind === 'view') location.hash = `#/${viewFromHash('#/' + cmd.view)}`;
  else if (cmd.kind === 'export') location.hash = '#/sessions';
});
app.mount('#app');
