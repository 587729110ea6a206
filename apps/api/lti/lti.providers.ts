import { LtiAdminController } from './lti-admin.controller';
import { LtiLaunchVerifier } from './lti-launch-verifier';
import { LtiLaunchService } from './lti-launch.service';
import { LtiController } from './lti.controller';
import { LtiStateStore } from './lti-state.store';

/**
 * LTI 1.3 in the API. Registered in ApiModule itself (not a module of its own): a launch
 * makes classes, labs and dashboard links through ClassesService, LabsService and
 * DashboardLinksService, which live there.
 */
export const ltiControllers = [LtiController, LtiAdminController];
export const ltiProviders = [LtiStateStore, LtiLaunchVerifier, LtiLaunchService];
