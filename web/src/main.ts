/** Entry point: mounts the app shell. */

import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { registerViews } from './views';

const target = document.getElementById('app');
if (!target) throw new Error('missing #app');
registerViews();
export default mount(App, { target });
