import { ValidationError, ValidationPipe } from '@nestjs/common';
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

/** Global validation: unknown fields are refused, types are transformed, every bad field is named. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
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
