import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { api, app } from './lib/state.svelte';

async function start() {
  if (__BUQI_PREVIEW__) {
    // DEV-ONLY: an in-memory stand-in for the office routes (dev/preview-backend.ts). Dropped from
    // every build but `vite --mode preview-dev`.
    const { previewFetch } = await import('../dev/preview-backend');
    api.fetchImpl = previewFetch;
    app.preview = true;
  }
  mount(App, { target: document.getElementById('app')! });
}
start();
