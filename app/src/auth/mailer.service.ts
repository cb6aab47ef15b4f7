import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import nodemailer, { type Transporter } from 'nodemailer';
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
  private transport?: Transporter;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async send(mail: Mail): Promise<void> {
    const { smtpUrl, from } = this.config.mail;
    if (smtpUrl !== undefined) {
      this.transport ??= nodemailer.createTransport(smtpUrl);
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
