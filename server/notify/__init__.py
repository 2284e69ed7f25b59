"""Reaching people (issue 14, ADR 0023): reminders kept in the database, sent
through the channels a person chose (Web Push, e-mail, SMS, their outreach
organisation), neutral texts only, quiet hours, digests, retries, exactly once.

- `channels`: the sender interface (`Sender`, `Message`, `Outcome`) and the
  registry the dispatcher reads;
- `preferences`: what each person chose (all optional);
- the scheduler derives reminders from the timeline; the dispatcher claims
  and sends them.
"""
