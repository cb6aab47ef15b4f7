import { Note } from './note.entity';
import { Pad } from './pad.entity';
import { PasswordReset } from './password-reset.entity';
import { RateLimit } from './rate-limit.entity';
import { User } from './user.entity';
import { UserSession } from './user-session.entity';

export { Note, Pad, PasswordReset, RateLimit, User, UserSession };
export const ENTITIES = [User, Pad, Note, UserSession, PasswordReset, RateLimit];
