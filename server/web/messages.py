"""Sentences for the codes that the domain, the auth flows and sync return.

Codes travel untranslated; this is the edge where they become words, in the
language of the person reading.
"""

from __future__ import annotations

from server.translation import N_, gettext

MESSAGES: dict[str, str] = {
    # profile
    "name_required": N_("Indiquez le nom par lequel vous souhaitez qu’on s’adresse à vous."),
    "name_too_long": N_("Ce nom est trop long (80 caractères au plus)."),
    "language_unknown": N_("Choisissez une langue de la liste."),
    "foreign_number_format": N_(
        "Le numéro étranger compte 10 chiffres (il figure sur votre titre de séjour ou votre"
        " récépissé). Vous pouvez aussi laisser ce champ vide."
    ),
    "email_format": N_("Cette adresse électronique ne semble pas valide (exemple : nom@exemple.fr)."),
    "phone_format": N_("Ce numéro de téléphone ne semble pas valide (exemple : 06 12 34 56 78)."),
    "quiet_format": N_(
        "Indiquez les deux heures, comme 21:00 et 08:00, ou laissez-les vides toutes les deux."
    ),
    # passkeys and ceremonies
    "expired": N_("Cette étape a expiré (au bout de quelques minutes). Recommencez, s’il vous plaît."),
    "invalid_response": N_(
        "La clé d’accès n’a pas pu être vérifiée. Réessayez ; si cela se reproduit, utilisez un"
        " code de secours."
    ),
    "unknown_passkey": N_(
        "Cette clé d’accès n’est liée à aucun compte Sésame (elle a peut-être été supprimée)."
        " Essayez une autre clé, ou utilisez un code de secours."
    ),
    "passkey_exists": N_("Cette clé d’accès est déjà enregistrée sur votre compte."),
    "missing_credential": N_(
        "La clé d’accès n’a pas été reçue. Les clés d’accès ont besoin de JavaScript : activez-le,"
        " puis réessayez."
    ),
    "code_invalid": N_(
        "Ce code de secours n’est pas valide, ou il a déjà servi. Vérifiez-le (les tirets et les"
        " espaces ne comptent pas)."
    ),
    "code_spent": N_("Ce code de secours a déjà servi. Utilisez-en un autre."),
    "invitation_invalid": N_(
        "Ce lien d’inscription n’est plus valable (il a déjà servi ou il a expiré). Demandez un"
        " nouveau lien à votre administrateur."
    ),
    # commands
    "forbidden": N_("Vous n’avez pas le droit de faire cela."),
    "not_found": N_("Cet élément n’existe pas, ou plus."),
    "invalid": N_("Une valeur envoyée n’est pas valide."),
    "conflict": N_("La situation a changé entre-temps : cette action ne s’applique plus."),
    "id_conflict": N_("Cette action a déjà été envoyée avec un autre contenu ; elle n’a pas été appliquée."),
    "unknown_op": N_("Cette action n’est pas connue du serveur. Mettez l’application à jour."),
    "bad_command": N_("Cette action est mal formée."),
    "failed": N_(
        "Le serveur n’a pas pu appliquer cette action. Elle reste sur cet appareil : vous pouvez la renvoyer."
    ),
    # Web Push (ADR 0024)
    "push_endpoint": N_(
        "Ce navigateur a donné une adresse de notification que Sésame ne peut pas utiliser. Essayez"
        " avec un autre navigateur, ou recevez les nouvelles par courriel ou SMS."
    ),
    "push_keys": N_(
        "Ce navigateur a donné des clés de notification incomplètes. Réessayez d’activer les notifications."
    ),
    "last_passkey": N_(
        "C’est votre seule clé d’accès : ajoutez-en une autre avant de supprimer celle-ci, sinon"
        " vous ne pourriez plus vous connecter."
    ),
    "label_required": N_("Donnez un nom à cette clé d’accès (par exemple « Mon téléphone »)."),
    "label_too_long": N_("Ce nom est trop long (60 caractères au plus)."),
    "prefecture_unknown": N_("Choisissez une préfecture de la liste."),
    # files
    "procedure_unknown": N_("Choisissez une démarche dans la liste."),
    "ground_unknown": N_("Un des motifs choisis ne correspond pas à cette démarche."),
    "ground_required": N_("Choisissez au moins une situation qui correspond à la vôtre."),
    "title_unknown": N_(
        "Cette carte ne peut pas être demandée avec les situations choisies. Choisissez une autre carte, ou"
        " laissez la préfecture décider."
    ),
    "field_unknown": N_("Ce champ n’existe pas pour cette démarche."),
    "field_too_long": N_("Ce texte est trop long."),
    "file_locked": N_(
        "Le dossier est en cours d’examen par la préfecture : il ne peut plus être modifié. Vous pouvez"
        " toujours écrire un message à la préfecture."
    ),
    "file_closed": N_("Ce dossier est clos (retiré ou décidé) : il ne peut plus être modifié."),
    "incomplete": N_("Le dossier n’est pas encore complet."),
    "not_allowed": N_("Cette action n’est pas possible dans l’état actuel du dossier."),
    "exists": N_("Cet élément existe déjà."),
    "piece_unknown": N_("Cette pièce ne fait pas partie de la liste de ce dossier."),
    "blob_unknown": N_("Le fichier envoyé n’a pas été trouvé. Envoyez-le de nouveau."),
    "filename_invalid": N_("Le nom du fichier n’est pas valide."),
    "file_missing": N_("Choisissez au moins un fichier, ou prenez une photo."),
    "file_empty": N_("Ce fichier est vide (0 octet). Choisissez le bon fichier."),
    "file_type_unknown": N_(
        "Ce fichier n’est ni une photo ni un PDF (ou son contenu ne correspond pas à son nom). Envoyez une"
        " photo (JPEG, PNG, WebP, HEIC) ou un PDF."
    ),
    "file_truncated": N_(
        "Ce fichier est incomplet : il a sans doute été coupé pendant l’envoi ou l’enregistrement. Ouvrez-le"
        " pour vérifier, puis envoyez-le de nouveau."
    ),
    "file_too_large": N_(
        "Ce fichier dépasse %(mb)s Mo. Réduisez-le (par exemple en le photographiant à nouveau), ou envoyez"
        " chaque page dans un fichier séparé."
    ),
    "file_type_refused": N_(
        "Ce type de fichier n’est pas accepté pour cette pièce. Formats acceptés : %(accepted)s."
    ),
    # uploads (resumable and plain)
    "account_full": N_(
        "Ce fichier n’a pas été gardé : votre compte a atteint sa place maximale (%(mb)s Mo au total)."
        " Ce qui est déjà envoyé reste. Écrivez à la préfecture si vous devez envoyer davantage."
    ),
    "server_full": N_(
        "Le serveur manque de place pour l’instant. Votre fichier reste sur cet appareil et partira"
        " tout seul plus tard."
    ),
    "no_room": N_(
        "Le serveur manque de place pour l’instant : ce fichier n’a pas été gardé. Réessayez plus tard."
    ),
    "upload_expired": N_(
        "Cet envoi était interrompu depuis plus de 30 jours : il a été abandonné. Envoyez le fichier de"
        " nouveau."
    ),
    "upload_damaged": N_(
        "Le fichier est arrivé abîmé (son empreinte ne correspond pas). Il va être envoyé de nouveau."
    ),
    "signed_out_sync": N_(
        "Votre session a expiré. Reconnectez-vous : ce qui attend d’être envoyé est gardé sur cet appareil,"
        " et partira ensuite."
    ),
    "account_mismatch": N_(
        "Ces éléments ont été préparés sur cet appareil avec un autre compte. Reconnectez-vous avec ce compte"
        " pour les envoyer."
    ),
    "bad_content_type": N_("Une valeur envoyée n’est pas valide."),
    "body_required": N_("Écrivez votre message."),
    "body_too_long": N_("Ce message est trop long (5 000 caractères au plus)."),
    "role_unknown": N_("Choisissez un rôle de la liste."),
    # complements and decisions (back office)
    "items_required": N_("Cochez au moins une pièce ou une réponse à demander."),
    "items_too_many": N_("Trop d’éléments demandés en une fois (30 au plus)."),
    "kind_unknown": N_("Une valeur envoyée n’est pas valide."),
    "target_unknown": N_("Cette pièce ou cette question ne fait pas partie de ce dossier."),
    "reason_required": N_("Dites pourquoi vous demandez cet élément : la personne lira ce motif."),
    "reason_too_long": N_("Ce motif est trop long (1 000 caractères au plus)."),
    "due_invalid": N_("Cette date n’est pas valide."),
    "due_past": N_("La date limite doit être dans le futur."),
    "due_too_far": N_("La date limite doit être dans moins d’un an."),
    "item_repeated": N_("Cet élément est demandé deux fois."),
    "days_invalid": N_("Indiquez un nombre de jours entre %(min)s et %(max)s."),
    "already_decided": N_(
        "Ce dossier est déjà décidé. Pour changer la décision, enregistrez une correction."
    ),
    "not_locked": N_("Prenez d’abord le dossier en examen (verrouillez-le) avant de décider."),
    "held_by_other": N_("Un autre agent examine ce dossier : lui seul peut décider."),
    "outcome_unknown": N_("Choisissez une décision et son motif dans la liste."),
    "reason_unknown": N_("Choisissez une décision et son motif dans la liste."),
    "details_required": N_(
        "Écrivez les faits de ce dossier qui fondent la décision : une décision négative doit être motivée."
    ),
    "details_too_long": N_("Ce texte est trop long (4 000 caractères au plus)."),
    "basis_unknown": N_(
        "Aucun article vérifié ne correspond aux motifs de ce dossier : choisissez un autre motif de décision."
    ),
    "complement_not_overdue": N_(
        "Ce motif suppose qu’un complément demandé n’a pas été fourni dans le délai : ce n’est pas le cas."
    ),
    "already_corrected": N_("Cette décision a déjà été corrigée : corrigez la décision en vigueur."),
    # attestations
    "already_complete": N_("Ce dossier est déjà déclaré complet."),
    "complement_pending": N_(
        "Un complément demandé est encore attendu : le dossier ne peut pas être déclaré complet avant."
    ),
    # appointments, information, figures
    "card_not_ready": N_(
        "Votre carte n’est pas encore prête : vous pourrez prendre rendez-vous dès qu’elle le sera."
    ),
    "already_booked": N_("Vous avez déjà un rendez-vous pour ce dossier : déplacez-le ou annulez-le."),
    "not_booked": N_("Ce rendez-vous n’est plus réservé (il a été déplacé ou annulé)."),
    "slot_unknown": N_("Ce créneau n’est pas ouvert à la réservation. Choisissez-en un dans la liste."),
    "slot_full": N_("Ce créneau vient d’être complet. Choisissez-en un autre."),
    "desk_name_required": N_("Indiquez le nom du guichet."),
    "desk_name_too_long": N_("Ce nom est trop long (120 caractères au plus)."),
    "address_required": N_("Indiquez l’adresse du guichet."),
    "address_too_long": N_("Cette adresse est trop longue (400 caractères au plus)."),
    "kinds_required": N_("Choisissez au moins un type de rendez-vous."),
    "slot_minutes_invalid": N_("Choisissez une durée de créneau dans la liste."),
    "capacity_invalid": N_("Le nombre de personnes par créneau va de 1 à 50."),
    "horizon_invalid": N_("Les réservations s’ouvrent de 1 à 180 jours à l’avance."),
    "hours_invalid": N_(
        "Horaires à corriger : heure d’ouverture avant l’heure de fermeture (HH:MM), sans chevauchement."
    ),
    "closure_invalid": N_(
        "Fermetures à corriger : une date par ligne (AAAA-MM-JJ), suivie d’un motif court."
    ),
    "not_granted": N_("Aucune décision favorable en vigueur sur ce dossier."),
    "already_ready": N_("La carte est déjà indiquée comme prête."),
    "not_ready": N_("La carte n’est pas encore indiquée comme prête."),
    "already_handed_over": N_("La carte est déjà remise."),
    "block_unknown": N_("Cette rubrique n’existe pas."),
    "lang_unknown": N_("Choisissez une langue de la liste."),
    "info_too_long": N_("Ce texte est trop long (4 000 caractères au plus)."),
    "french_first": N_("Écrivez d’abord le texte en français : les traductions le suivent."),
    "french_needed": N_("Le texte français ne peut pas être retiré tant qu’une traduction existe."),
    # blocked, paper files, claims
    "weeks_invalid": N_("Indiquez un nombre de semaines (par exemple 6), ou laissez ce champ vide."),
    "contact_too_long": N_("Ce texte est trop long (300 caractères au plus)."),
    "answer_kind_unknown": N_("Choisissez le genre de réponse dans la liste."),
    "answer_required": N_("Écrivez la réponse : la personne la lira."),
    "answer_too_long": N_("Cette réponse est trop longue (4 000 caractères au plus)."),
    "report_days_invalid": N_("Indiquez un nombre de jours entre 1 et 60."),
    "channel_unknown": N_("Dites comment le dossier a été remis : au guichet ou par courrier."),
    "received_on_invalid": N_("Indiquez la date de remise du dossier (aujourd’hui ou avant)."),
    "question_unanswered": N_("Choisissez une réponse. Si vous ne savez pas, choisissez « Je ne sais pas »."),
    "field_required": N_("Ce champ est obligatoire."),
    "field_date": N_("Cette date n’existe pas : vérifiez le jour, le mois et l’année (exemple : 31 5 1990)."),
    "field_date_year": N_("Indiquez l’année en 4 chiffres (exemple : 2019)."),
    "field_date_whole": N_("Indiquez le jour, le mois et l’année, tels qu’ils sont écrits sur le document."),
    "field_postcode": N_("Ce code postal n’est pas un code postal français."),
    "field_foreign_number": N_("Le numéro étranger compte 10 chiffres."),
    "field_email": N_("Cette adresse électronique ne semble pas valide (exemple : nom@exemple.fr)."),
    "field_phone": N_("Ce numéro de téléphone ne semble pas valide (exemple : 06 12 34 56 78)."),
    "field_choice": N_("Choisissez une valeur de la liste."),
    "claim_invalid": N_(
        "Ce code n’est pas valide : il a peut-être déjà servi ou expiré. Vérifiez-le, ou demandez un"
        " nouveau code à la préfecture."
    ),
    # one-time codes printed by a worker (hand-off, assisted recovery); paper claims too
    "code_unknown": N_(
        "Ce code n’est pas reconnu. Vérifiez chaque caractère (les tirets et les espaces ne comptent pas)."
        " Si un nouveau code a été imprimé depuis, seul le dernier fonctionne."
    ),
    "code_used": N_(
        "Ce code n’est pas valide : il a déjà servi, et il ne sert qu’une fois. Si ce n’est pas vous qui"
        " l’avez utilisé, demandez de l’aide tout de suite à qui vous l’a remis."
    ),
    "code_expired": N_(
        "Ce code n’est pas valide : il a expiré. Demandez un nouveau code à qui vous l’a remis."
    ),
    "code_mandate": N_(
        "Ce code ne fonctionne plus : l’organisation qui vous l’a remis n’a plus de mandat pour agir"
        " pour vous."
    ),
    "not_held": N_("Cette personne a déjà son propre compte : aidez-la plutôt à retrouver l’accès."),
    "held": N_(
        "Cette personne n’a pas encore de compte à elle : imprimez-lui plutôt un code pour le prendre en main."
    ),
    "identity_unchecked": N_(
        "Cochez la case seulement après avoir vérifié l’identité de la personne en personne : le code"
        " ne peut pas être remis sans cela."
    ),
    "document_required": N_("Dites quel document d’identité vous avez vu."),
    "document_unknown": N_("Choisissez le document dans la liste."),
    "document_too_long": N_("Ce texte est trop long (120 caractères au plus)."),
    "presence_required": N_(
        "Cochez la case pour confirmer que la personne est là et vous demande de retirer cette clé."
    ),
    "context_unknown": N_("Une valeur envoyée n’est pas valide."),
    "clear_unknown": N_("Une valeur envoyée n’est pas valide."),
    "voice_empty": N_("Choisissez une réponse ou écrivez quelques mots."),
    "voice_too_long": N_("Ce texte est trop long (2 000 caractères au plus)."),
    # outreach workers: organisations and mandates
    "mandate": N_(
        "Votre organisation n’a pas (ou plus) de mandat pour faire cela pour cette personne."
        " Rien n’a été changé."
    ),
    "mandate_ended": N_(
        "Le mandat de votre organisation pour cette personne a pris fin : ses données quittent cet appareil."
    ),
    "organisation_unknown": N_(
        "Aucune organisation agréée ne porte ce code. Vérifiez-le avec l’intervenant."
    ),
    "mandate_scope": N_("Choisissez l’un de vos dossiers, ou « tous mes dossiers »."),
    "mandate_expiry": N_("Choisissez une date de fin à venir, dans les trois ans."),
    "mandate_unknown": N_("Ce mandat n’existe pas, ou plus."),
    "paper_scan_missing": N_("Joignez la photo ou le scan du mandat signé par la personne."),
    "organisation_name_required": N_("Indiquez le nom de l’organisation."),
    "organisation_name_too_long": N_("Ce nom est trop long (120 caractères au plus)."),
    "organisation_kind_unknown": N_("Choisissez le genre d’organisation dans la liste."),
    "contact_required": N_("Indiquez le nom de la personne à contacter."),
    "contact_means_required": N_("Indiquez une adresse électronique ou un numéro de téléphone."),
    "organisation_suspended": N_(
        "Votre organisation n’est pas (ou plus) acceptée : elle ne peut pas inviter d’intervenants."
    ),
    # confirming an address (ADR 0029)
    "contact_unavailable": N_("Ce service n’envoie pas encore de messages par ce moyen."),
    "contact_not_sent": N_("Le code n’a pas pu partir pour l’instant. Réessayez dans quelques minutes."),
    "contact_refused_email": N_(
        "Cette adresse a refusé le message. Vérifiez-la sur votre compte, puis demandez un nouveau code."
    ),
    "contact_refused_sms": N_(
        "Ce numéro n’a pas pu recevoir le SMS. Vérifiez-le sur votre compte, puis demandez un nouveau code."
    ),
    "code_missing": N_("Aucun code valable pour cette adresse : demandez-en un nouveau."),
    "code_wrong": N_("Ce n’est pas le bon code. Vérifiez les 6 chiffres reçus."),
    "code_used_up": N_("Trop d’essais avec ce code : il ne sert plus. Demandez-en un nouveau."),
}

# Confirmations shown after a redirect (?done=…).
DONE: dict[str, str] = {
    "profile_saved": N_("Vos informations sont enregistrées."),
    "notify_saved": N_("Vos choix pour être prévenu sont enregistrés."),
    "code_sent": N_("Le code est envoyé. Il sert 30 minutes."),
    "email_confirmed": N_("Votre adresse électronique est confirmée : les messages de Sésame y partiront."),
    "sms_confirmed": N_("Votre numéro est confirmé : les SMS de Sésame y partiront."),
    "passkey_added": N_("La nouvelle clé d’accès est enregistrée."),
    "passkey_renamed": N_("La clé d’accès est renommée."),
    "passkey_removed": N_("La clé d’accès est supprimée."),
    "passkey_removed_signed_out": N_(
        "La clé d’accès est supprimée, et les appareils où elle avait servi à se connecter sont déconnectés."
    ),
    "recovered_signed_out": N_(
        "Une nouvelle clé d’accès est enregistrée sur cet appareil. Le code de secours utilisé ne servira"
        " plus. Plus aucun autre appareil n’est connecté à votre compte."
    ),
    "session_revoked": N_("L’appareil a été déconnecté."),
    "assisted_recovered": N_(
        "Une nouvelle clé d’accès est enregistrée sur ce téléphone. Plus aucun autre appareil n’est"
        " connecté à votre compte. Si votre ancien téléphone est perdu ou volé, retirez sa clé ci-dessous."
    ),
    "assisted_passkey_removed": N_(
        "La clé d’accès est retirée, et les appareils où elle avait servi à se connecter sont déconnectés."
    ),
    "push_on": N_("Les notifications sont activées sur cet appareil."),
    "push_off": N_("Cet appareil ne recevra plus de notifications."),
    "recovered": N_(
        "Une nouvelle clé d’accès est enregistrée sur cet appareil."
        " Le code de secours utilisé ne servira plus."
    ),
    "signed_out": N_("La session est fermée."),
    "saved": N_("Enregistré."),
    "submitted": N_(
        "Votre dossier est envoyé à la préfecture. Vous pouvez encore le corriger ou le compléter."
    ),
    "withdrawn": N_("Le dossier est retiré. Il reste dans votre historique."),
    "pieces_added": N_("Les fichiers sont ajoutés."),
    "piece_replaced": N_("Le fichier est remplacé."),
    "piece_removed": N_("Le fichier est retiré."),
    "message_sent": N_("Votre message est envoyé."),
    "complement_requested": N_(
        "La demande de complément est envoyée : la personne la voit dans son dossier."
    ),
    "complement_accepted": N_("La réponse est acceptée."),
    "complement_closed": N_("Cet élément n’est plus demandé."),
    "decided": N_(
        "La décision est enregistrée : la personne la voit, avec ses motifs et les voies de recours."
    ),
    "settings_saved": N_("Les réglages sont enregistrés."),
    "marked_complete": N_(
        "Le dossier est déclaré complet. Si sa démarche y donne droit, la personne reçoit son attestation"
        " de prolongation d’instruction."
    ),
    "appointment_booked": N_("Votre rendez-vous est réservé."),
    "appointment_moved": N_("Votre rendez-vous est déplacé."),
    "appointment_cancelled": N_(
        "Votre rendez-vous est annulé : le créneau est libéré pour quelqu’un d’autre."
    ),
    "card_ready": N_(
        "La carte est indiquée comme prête : la personne peut prendre rendez-vous pour la retirer."
    ),
    "card_handed_over": N_("La carte est indiquée comme remise."),
    "desk_saved": N_("Le guichet est enregistré."),
    "information_saved": N_("Les informations sont enregistrées et publiées."),
    "report_sent": N_("Votre signalement est reçu. Voici votre accusé de réception écrit."),
    "answer_sent": N_("La réponse est enregistrée : la personne la voit avec son accusé de réception."),
    "voice_thanks": N_("Merci : votre avis est enregistré, sans votre nom."),
    "organisation_suspended": N_(
        "L’organisation est suspendue : ses intervenants n’ont plus accès à aucune personne."
    ),
    "mandate_granted": N_("Le mandat est donné. Vous pouvez le retirer à tout moment."),
    "mandate_revoked": N_("Le mandat est retiré : il ne donne plus accès à vos dossiers."),
    "person_recorded": N_(
        "La personne est enregistrée avec son mandat papier. Vous pouvez maintenant agir pour elle."
    ),
    "person_released": N_(
        "Votre organisation ne suit plus cette personne : ses mandats sont retirés, elle en est avertie dans"
        " son historique."
    ),
    "worker_removed": N_("L’intervenant est retiré de l’organisation ; ses sessions sont fermées."),
}


def message(code: str | None) -> str:
    if not code:
        return ""
    return gettext(MESSAGES.get(code, MESSAGES["invalid"]))


def done(code: str | None) -> str:
    return gettext(DONE[code]) if code in DONE else ""
