import {
  getMetadataStorage,
  ValidationTypes,
  type ValidationArguments,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { nulCharacterAt } from './validation';

/** True when `value` is a body the DTO's rules accept as it is. */
export type BodyCheck = (value: unknown) => boolean;

interface PropertyRule {
  name: string;
  /** `@IsOptional()` and the like: validate only when every condition holds. */
  conditions: ((object: object, value: unknown) => boolean)[];
  /** Each with its arguments, made once: only `object` and `value` change between calls. */
  checks: { validator: ValidatorConstraintInterface; args: ValidationArguments }[];
}

/**
 * The global validation's verdict on a DTO, without its per-call cost: the DTO's class-validator
 * constraints are looked up once, and a body is run through the same constraint validators
 * directly (no metadata grouping, no class instance, no error objects). The rules are the
 * decorators themselves, so there is nothing to keep in step.
 *
 * It only says yes or no, and it says yes exactly when the global pipe (whitelist,
 * forbidNonWhitelisted, no NUL characters) would accept the body; callers run the pipe on a "no"
 * so that a refusal names every bad field as everywhere else. A DTO using a kind of rule this does not implement
 * (nested objects, `each`, groups, async validators) is refused when compiled, never guessed at.
 */
export function compileBodyCheck(dto: new () => object): BodyCheck {
  const storage = getMetadataStorage();
  const grouped = storage.groupByPropertyName(
    storage.getTargetValidationMetadatas(dto, '', false, false, undefined),
  );
  const rules: PropertyRule[] = Object.entries(grouped).map(([name, metadatas]) => {
    const rule: PropertyRule = { name, conditions: [], checks: [] };
    for (const m of metadatas) {
      const unsupported = (why: string) =>
        new Error(`compileBodyCheck: ${dto.name}.${name}: ${why} is not supported`);
      if (m.groups?.length || m.always) throw unsupported('a validation group');
      if (m.type === ValidationTypes.CONDITIONAL_VALIDATION) {
        rule.conditions.push(m.constraints[0] as PropertyRule['conditions'][number]);
      } else if (m.type === ValidationTypes.CUSTOM_VALIDATION) {
        if (m.each || m.validateIf) throw unsupported('each/validateIf');
        for (const c of storage.getTargetValidatorConstraints(m.constraintCls)) {
          if (c.async) throw unsupported('an async validator');
          rule.checks.push({
            validator: c.instance as ValidatorConstraintInterface,
            args: {
              targetName: dto.name,
              property: name,
              object: {},
              value: undefined,
              constraints: m.constraints,
            },
          });
        }
      } else if (m.type !== ValidationTypes.WHITELIST) {
        throw unsupported(`a ${m.type} rule`);
      }
    }
    return rule;
  });
  const known = new Set(rules.map((r) => r.name));

  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    const object = value as Record<string, unknown>;
    // Unknown fields, and NUL characters anywhere (the global pipe refuses both).
    if (nulCharacterAt(object) !== null) return false;
    for (const key of Object.keys(object)) if (!known.has(key)) return false;
    for (const rule of rules) {
      const v = object[rule.name];
      if (!rule.conditions.every((condition) => condition(object, v))) continue;
      for (const { validator, args } of rule.checks) {
        // Validators are synchronous here (async ones are refused above) and keep no arguments.
        args.object = object;
        args.value = v;
        if (validator.validate(v, args) !== true) return false;
      }
    }
    return true;
  };
}
