import { DynamicModule, Module, OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { buildDataSourceOptions, closeEmbeddedDatabases } from './database-options';

@Module({})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(private readonly dataSource: DataSource) {}

  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          // Built lazily so an embedded database is only opened when the app really starts.
          useFactory: () => ({
            ...buildDataSourceOptions(config),
            retryAttempts: 3,
            retryDelay: 1000,
          }),
        }),
      ],
    };
  }

  /** Closes the pool (in-flight queries finish first), then the embedded database if any. */
  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    await closeEmbeddedDatabases();
  }
}
