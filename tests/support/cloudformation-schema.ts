import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import type { Property, PropertyType, Resource, SpecDatabase, TypeDefinition } from '@aws-cdk/service-spec-types';

/**
 * Checks a CloudFormation template against the resource schemas AWS publishes (the registry schemas, as
 * packaged by the CDK team in `@aws-cdk/aws-service-spec`): every resource type exists, every property
 * name at every depth is one the schema knows, required properties are present, primitive values have
 * their type (and one of the allowed values where the schema lists them), and every `Ref`, `Fn::GetAtt`,
 * `Fn::Sub` and `DependsOn` names something that exists. Returns one line per problem; [] is valid.
 *
 * Offline on purpose: `aws cloudformation validate-template` needs credentials and checks only syntax.
 */
// biome-ignore lint/suspicious/noExplicitAny: a template is free-form JSON, walked by shape.
type Json = any;
type Template = {
  Parameters?: Record<string, unknown>;
  Resources: Record<string, { Type: string; Properties?: Json; DependsOn?: string | string[] }>;
  Outputs?: Json;
  Conditions?: Json;
};

let database: SpecDatabase | undefined;
const spec = () => {
  database ??= loadAwsServiceSpecSync();
  return database;
};

export function resourceSchema(type: string): Resource | undefined {
  const found = spec().lookup('resource', 'cloudFormationType', 'equals', type);
  return found.length === 1 ? found[0] : undefined;
}

const INTRINSICS = new Set([
  'Ref',
  'Fn::GetAtt',
  'Fn::Sub',
  'Fn::Join',
  'Fn::Select',
  'Fn::Split',
  'Fn::If',
  'Fn::ImportValue',
  'Fn::FindInMap',
  'Fn::GetAZs',
  'Fn::Base64',
  'Fn::Cidr',
  'Fn::Equals',
  'Fn::Not',
  'Fn::And',
  'Fn::Or',
  'Fn::ToJsonString',
  'Fn::Length',
  'Condition',
]);
const isIntrinsic = (value: Json) => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && INTRINSICS.has(keys[0] as string);
};

export function schemaErrors(template: Template): string[] {
  const errors: string[] = [];
  const resources = template.Resources ?? {};
  const parameters = new Set(Object.keys(template.Parameters ?? {}));

  const checkRef = (target: string, at: string) => {
    if (target.startsWith('AWS::') || parameters.has(target) || target in resources) return;
    errors.push(`${at}: Ref to ${target}, which is no resource or parameter`);
  };
  const checkGetAtt = (id: string, attribute: string, at: string) => {
    const target = resources[id];
    if (!target) {
      errors.push(`${at}: Fn::GetAtt on ${id}, which is no resource`);
      return;
    }
    const schema = resourceSchema(target.Type);
    if (schema && !(attribute in schema.attributes))
      errors.push(`${at}: ${target.Type} ${id} has no attribute ${attribute} (has: ${Object.keys(schema.attributes).join(', ') || 'none'})`);
  };
  const checkSub = (text: string, variables: Record<string, unknown>, at: string) => {
    for (const [, name = ''] of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
      if (name in variables) continue;
      const dot = name.indexOf('.');
      if (dot < 0) checkRef(name, at);
      else checkGetAtt(name.slice(0, dot), name.slice(dot + 1), at);
    }
  };

  // Intrinsic functions anywhere in a value: the names they use must exist.
  const walkIntrinsics = (value: Json, at: string): void => {
    if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) walkIntrinsics(item, `${at}[${index}]`);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'Ref' && typeof inner === 'string') checkRef(inner, at);
      else if (key === 'Fn::GetAtt') {
        const [id, attribute] =
          typeof inner === 'string' ? [inner.slice(0, inner.indexOf('.')), inner.slice(inner.indexOf('.') + 1)] : (inner as [string, string]);
        if (typeof attribute === 'string') checkGetAtt(id, attribute, at);
      } else if (key === 'Fn::Sub') {
        const [text, variables] = typeof inner === 'string' ? [inner, {}] : (inner as [string, Record<string, unknown>]);
        if (typeof text === 'string') checkSub(text, variables ?? {}, at);
      }
      walkIntrinsics(inner, `${at}.${key}`);
    }
  };

  const primitiveMatches = (type: PropertyType, value: Json): boolean => {
    switch (type.type) {
      case 'string':
        return (
          (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') &&
          (!type.allowedValues || type.allowedValues.includes(String(value)))
        );
      case 'number':
        return typeof value === 'number' || (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)));
      case 'integer':
        return (
          (Number.isInteger(value) || (typeof value === 'string' && /^-?\d+$/.test(value))) &&
          (!type.allowedValues || type.allowedValues.includes(Number(value)))
        );
      case 'boolean':
        return typeof value === 'boolean' || value === 'true' || value === 'false';
      case 'date-time':
        return typeof value === 'string';
      case 'null':
        return value === null;
      default:
        return true;
    }
  };

  // Errors for one value against one schema type, collected rather than pushed, so a union can try each member.
  const valueErrors = (type: PropertyType, value: Json, at: string): string[] => {
    if (isIntrinsic(value)) return [];
    switch (type.type) {
      case 'json':
        return [];
      case 'tag':
        return value && typeof value === 'object' && 'Key' in value && 'Value' in value ? [] : [`${at}: expected a {Key, Value} tag`];
      case 'ref': {
        const definition = spec().get('typeDefinition', type.reference) as TypeDefinition;
        if (value === null || typeof value !== 'object' || Array.isArray(value)) return [`${at}: expected an object (${definition.name})`];
        return propertiesErrors(definition.properties, value, at);
      }
      case 'array':
        if (!Array.isArray(value)) return [`${at}: expected a list`];
        return value.flatMap((item, index) => valueErrors(type.element, item, `${at}[${index}]`));
      case 'map':
        if (value === null || typeof value !== 'object' || Array.isArray(value)) return [`${at}: expected a map`];
        return Object.entries(value).flatMap(([key, item]) => valueErrors(type.element, item, `${at}.${key}`));
      case 'union': {
        const attempts = type.types.map((member) => valueErrors(member, value, at));
        return attempts.some((attempt) => attempt.length === 0) ? [] : (attempts.sort((a, b) => a.length - b.length)[0] ?? []);
      }
      default:
        return primitiveMatches(type, value)
          ? []
          : [
              `${at}: ${JSON.stringify(value)} is not a valid ${type.type}${'allowedValues' in type && type.allowedValues ? ` (one of ${type.allowedValues.join(', ')})` : ''}`,
            ];
    }
  };

  const propertiesErrors = (schema: Record<string, Property>, value: Record<string, Json>, at: string): string[] => {
    const found: string[] = [];
    for (const [name, property] of Object.entries(schema)) if (property.required && !(name in value)) found.push(`${at}: required property ${name} is missing`);
    for (const [name, inner] of Object.entries(value)) {
      const property = schema[name];
      if (!property) found.push(`${at}: unknown property ${name}`);
      else found.push(...valueErrors(property.type, inner, `${at}.${name}`));
    }
    return found;
  };

  for (const [id, resource] of Object.entries(resources)) {
    walkIntrinsics(resource.Properties, `${id}.Properties`);
    for (const dependency of [resource.DependsOn ?? []].flat())
      if (!(dependency in resources)) errors.push(`${id}: DependsOn ${dependency}, which is no resource`);
    if (resource.Type.startsWith('Custom::') || resource.Type === 'AWS::CloudFormation::CustomResource') continue;
    const schema = resourceSchema(resource.Type);
    if (!schema) {
      errors.push(`${id}: unknown resource type ${resource.Type}`);
      continue;
    }
    errors.push(...propertiesErrors(schema.properties, resource.Properties ?? {}, `${id} (${resource.Type})`));
  }
  walkIntrinsics(template.Outputs, 'Outputs');
  return errors;
}
