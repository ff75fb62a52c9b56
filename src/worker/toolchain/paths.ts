import { resolve } from 'node:path';

/** The project root (the folder with package.json), from src/ or lib/ alike. */
export const PROJECT_ROOT = resolve(__dirname, '..', '..', '..');
/** Git-ignored folder for tools the project builds itself (Temporal CLI, server). */
export const TOOLS_DIR = resolve(PROJECT_ROOT, '.tools');
