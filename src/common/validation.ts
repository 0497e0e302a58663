import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { commonError, CommonErrorCode } from './errors/common-errors';

function describe(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((e) => {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) =>
      // class-validator messages start with the property name; keep the full path instead.
      m.startsWith(`${e.property} `) ? `${path}${m.slice(e.property.length)}` : `${path}: ${m}`,
    );
    return [...own, ...describe(e.children ?? [], path)];
  });
}

/**
 * The path of the first string (value or key) holding a NUL character, or null. Postgres text
 * and jsonb cannot store one, and no field of ours has a use for it.
 */
export function nulCharacterAt(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path || 'the value' : null;
  if (value === null || typeof value !== 'object') return null;
  for (const [key, child] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    if (key.includes('\u0000')) return at;
    const found = nulCharacterAt(child, at);
    if (found !== null) return found;
  }
  return null;
}

/** The global pipe, refusing NUL characters in bodies, queries and path parameters first. */
class ServiceValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'custom') {
      const at = nulCharacterAt(value);
      if (at !== null) {
        throw commonError(
          CommonErrorCode.ValidationFailed,
          `Invalid request: ${at} must not contain a NUL character.`,
        );
      }
    }
    return super.transform(value, metadata);
  }
}

/** Global validation: unknown fields are refused, types are transformed, every bad field is named. */
export function createValidationPipe(): ValidationPipe {
  return new ServiceValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => {
      const problems = describe(errors);
      return commonError(
        CommonErrorCode.ValidationFailed,
        `Invalid request: ${problems.join('; ')}.`,
      );
    },
  });
}
