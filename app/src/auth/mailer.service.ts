import { Inject, Injectable, Logger } from '@nestjs/common';
import nodemailer, { type Transporter } from 'nodemailer';
import { APP_CONFIG, type AppConfig } from '../config/config';

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

/** Sends mail through SMTP_URL; without it, development writes the message to the log. */
@Injectable()
export class Mailer {
  private readonly logger = new Logger('Mailer');
  private readonly transport?: Transporter;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    if (config.mail.smtpUrl) this.transport = nodemailer.createTransport(config.mail.smtpUrl);
  }

  async send(mail: Mail): Promise<void> {
    if (this.transport) {
      await this.transport.sendMail({ from: this.config.mail.from, ...mail });
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

  close(): void {
    this.transport?.close();
  }
}
