/**
 * The store conformance suite against the PostgreSQL adapter: a real server (embedded, or
 * `RUNYARD_TEST_DATABASE_URL`), a fresh migrated database per test.
 */
import { postgresForFile } from '../helpers/postgres.js';
import { storeConformance } from './conformance.js';

const postgres = postgresForFile();

storeConformance('postgres', async () => (await postgres()).freshStore());
