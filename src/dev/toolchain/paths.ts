import { resolve } from 'node:path';
import { PROJECT_ROOT } from '../../common/paths';

/** Git-ignored folder for tools the project builds itself (Temporal CLI, server). */
export const TOOLS_DIR = resolve(PROJECT_ROOT, '.tools');
