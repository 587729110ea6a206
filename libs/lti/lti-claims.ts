/** Claim names and vocabularies of LTI 1.3, Deep Linking 2.0 and AGS 2.0 (1EdTech). */
export const Claim = {
  messageType: 'https://purl.imsglobal.org/spec/lti/claim/message_type',
  version: 'https://purl.imsglobal.org/spec/lti/claim/version',
  deploymentId: 'https://purl.imsglobal.org/spec/lti/claim/deployment_id',
  targetLinkUri: 'https://purl.imsglobal.org/spec/lti/claim/target_link_uri',
  resourceLink: 'https://purl.imsglobal.org/spec/lti/claim/resource_link',
  roles: 'https://purl.imsglobal.org/spec/lti/claim/roles',
  context: 'https://purl.imsglobal.org/spec/lti/claim/context',
  custom: 'https://purl.imsglobal.org/spec/lti/claim/custom',
  ags: 'https://purl.imsglobal.org/spec/lti-ags/claim/endpoint',
  deepLinkingSettings: 'https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings',
  contentItems: 'https://purl.imsglobal.org/spec/lti-dl/claim/content_items',
  deepLinkingData: 'https://purl.imsglobal.org/spec/lti-dl/claim/data',
} as const;

export const AgsScope = {
  score: 'https://purl.imsglobal.org/spec/lti-ags/scope/score',
  lineItem: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem',
  lineItemReadOnly: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly',
} as const;

export const SCORE_MEDIA_TYPE = 'application/vnd.ims.lis.v1.score+json';

const INSTRUCTOR_ROLES = [
  'http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor',
  'http://purl.imsglobal.org/vocab/lis/v2/membership#ContentDeveloper',
  'http://purl.imsglobal.org/vocab/lis/v2/membership#Administrator',
  'http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator',
  'http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator',
  'http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor',
];
const LEARNER_ROLES = ['http://purl.imsglobal.org/vocab/lis/v2/membership#Learner', 'http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student'];

/** Short role names (LTI 1.3 allows `Instructor` for the membership role) and the full URIs alike. */
const full = (role: string) => (role.includes('#') || role.includes('/') ? role : `http://purl.imsglobal.org/vocab/lis/v2/membership#${role}`);

/** Instructor, ContentDeveloper or Administrator (context, institution or system): the class dashboard. */
export function isInstructor(roles: string[]): boolean {
  return roles.map(full).some((role) => INSTRUCTOR_ROLES.includes(role));
}

/** A learner, whose score the LMS takes; other roles (Mentor, Member, Guest...) get a lab but no grade. */
export function isLearner(roles: string[]): boolean {
  return roles.map(full).some((role) => LEARNER_ROLES.includes(role));
}

/**
 * The scores endpoint of a line item: `/scores` goes on the path, before any query string
 * (Moodle's `.../lineitem?type_id=1` -> `.../lineitem/scores?type_id=1`; a plain
 * concatenation gets a 404 there).
 */
export function scoresUrl(lineItem: string): string {
  const url = new URL(lineItem);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/scores`;
  return url.toString();
}
