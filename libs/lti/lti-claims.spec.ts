import { describe, expect, it } from 'vitest';
import { isInstructor, isLearner, scoresUrl } from './lti-claims';

describe('lti claims', () => {
  it('puts /scores on the line item path, keeping the query string (Moodle)', () => {
    expect(scoresUrl('https://moodle.example/mod/lti/services.php/2/lineitems/5/lineitem?type_id=1')).toBe(
      'https://moodle.example/mod/lti/services.php/2/lineitems/5/lineitem/scores?type_id=1',
    );
    expect(scoresUrl('https://canvas.example/api/lti/courses/1/line_items/7')).toBe('https://canvas.example/api/lti/courses/1/line_items/7/scores');
    expect(scoresUrl('https://lms.example/items/7/')).toBe('https://lms.example/items/7/scores');
  });

  it('tells instructors and learners apart, full URIs and short names', () => {
    expect(isInstructor(['http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor'])).toBe(true);
    expect(isInstructor(['ContentDeveloper'])).toBe(true);
    expect(isInstructor(['http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator'])).toBe(true);
    expect(isInstructor(['http://purl.imsglobal.org/vocab/lis/v2/membership#Learner'])).toBe(false);
    expect(isLearner(['Learner'])).toBe(true);
    expect(isLearner(['http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor'])).toBe(false);
  });
});
