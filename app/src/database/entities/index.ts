import { Note } from './note.entity';
import { Pad } from './pad.entity';
import { PasswordReset } from './password-reset.entity';
import { Session } from './session.entity';
import { User } from './user.entity';

export { Note, Pad, PasswordReset, Session, User };
export const ENTITIES = [User, Pad, Note, Session, PasswordReset];
