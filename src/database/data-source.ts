import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from '../config/app-config';
import { buildDataSourceOptions } from './database-options';

/** The data source of the TypeORM CLI (`npm run migration:*`); the app builds the same options. */
export default new DataSource(buildDataSourceOptions(loadConfig()));
