import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type * as Nodemailer from 'nodemailer';
import { APP_CONFIG, type AppConfig } from '../config/config';

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

/** Sends mail through SMTP_URL; without it, development writes the message to the log. */
@Injectable()
export class MailerService implements OnApplicationShutdown {
  private readonly logger = new Logger('Mailer');
  /** Made on the first e-mail (most processes never send one). */
  private transport?: Nodemailer.Transporter;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async send(mail: Mail): Promise<void> {
    const { smtpUrl, from } = this.config.mail;
    if (smtpUrl !== undefined) {
      this.transport ??= loadNodemailer().createTransport(smtpUrl);
      await this.transport.sendMail({ from, ...mail });
      return;
    }
    if (this.config.nodeEnv === 'production') {
      this.logger.warn('no SMTP_URL configured: an e-mail was not sent');
      return;
    }
    this.logger.log(
      `e-mail (development, no SMTP_URL configured) to ${mail.to}: ${mail.subject}\n${mail.text}`,
    );
  }

  onApplicationShutdown(): void {
    this.transport?.close();
  }
}

/**
 * nodemailer, loaded on the first e-mail rather than at start: 2.5 MiB of heap in every pod
 * that would mostly never use it (docs/benchmarks.md, "App").
 */
function loadNodemailer(): typeof Nodemailer {
  // A require, not import(): Jest runs the tests as CommonJS without VM modules.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('nodemailer') as typeof Nodemailer;
}
