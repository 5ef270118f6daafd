import { defineBackend } from './define.js';

/** The offline backend: no flags, no settings, the same answers for the same config and seed. */
export default defineBackend<undefined>({
  name: 'template',
  description: 'offline and deterministic: the behaviour\'s own templates write every answer and scratchpad',
  note: 'offline',
  flags: [],
  deterministic: true,
  settings: () => undefined,
  load: () => import('./template/answers.js'),
});
