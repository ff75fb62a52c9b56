import { resolve } from 'node:path';

/** The project root (the folder with package.json), from src/ or lib/ alike. */
export const PROJECT_ROOT = resolve(__dirname, '..', '..');
