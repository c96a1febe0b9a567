@open_ticket
Feature: openTicket — register an unknown contact as a new lead
  The adapter sends one request to /v2/submit with lm_form, lm_key, lm_redirect=no,
  fld_name (node lead_get_name, else the chat title), fld_phone (the chat phone
  formatted for display), fld_email (node lead_get_email, else empty), fld_message
  (the outgoing messages only, joined by newlines) and chat_url. The new lead's id
  lands on crmData.result.

  Background:
    Given a chat with phone "972547001122" titled "אבי מזרחי"
    And the chat's messages:
      | direction | text                                   |
      | incoming  | שלום, ראיתי את המודעה על ביטוח רכב     |
      | outgoing  | היי אבי! בשמחה. מה דגם הרכב?           |
      | incoming  | מאזדה 3, שנת 2021                      |
      | outgoing  | תודה, נציג יחזור אליך היום עד 18:00    |

  @must
  Scenario: The chat title is the lead's name when no lead_get_name was collected
    When openTicket runs
    Then the adapter answers complete
    And crmData.result is the new lead's id
    And crmData.result has JSON type number
    And the simulator received 1 submit request
    And the submit request carried:
      | lm_form     | {lm_form}    |
      | lm_key      | {lm_key}     |
      | lm_redirect | no           |
      | fld_name    | אבי מזרחי    |
      | fld_phone   | 054-700-1122 |
      | fld_email   |              |
      | chat_url    | {chat_url}   |
    And the submit request was answered success
    And the account holds 1 lead
    And the new lead has:
      | שם          | אבי מזרחי    |
      | טלפון       | 054-700-1122 |
      | קישור לצ'אט | {chat_url}   |
      | status_id   | 1            |

  @must
  Scenario: lead_get_name overrides the chat title
    Given the contact answered lead_get_name with "אברהם (אבי) מזרחי"
    When openTicket runs
    Then the adapter answers complete
    And the submit request carried fld_name = "אברהם (אבי) מזרחי"
    And the new lead has:
      | שם | אברהם (אבי) מזרחי |

  @must
  Scenario: lead_get_email is sent as fld_email
    Given the contact answered lead_get_email with "avi.mizrahi@gmail.com"
    When openTicket runs
    Then the adapter answers complete
    And the submit request carried fld_email = "avi.mizrahi@gmail.com"
    And the new lead has:
      | דוא"ל | avi.mizrahi@gmail.com |

  @must
  Scenario: Only the outgoing messages go to fld_message, joined by newlines
    When openTicket runs
    Then the adapter answers complete
    And the submit request carried fld_message as:
      """
      היי אבי! בשמחה. מה דגם הרכב?
      תודה, נציג יחזור אליך היום עד 18:00
      """
    And the new lead's "הודעה" is:
      """
      היי אבי! בשמחה. מה דגם הרכב?
      תודה, נציג יחזור אליך היום עד 18:00
      """

  @should
  Scenario: Outgoing texts with line breaks, emoji and symbols arrive intact
    Given the chat's messages, as JSON:
      """
      [{"direction": "outgoing", "text": "מחיר מיוחד: 1,200 ₪ + מע\"מ 🚗⚡\nבתוקף עד 31/03"},
       {"direction": "incoming", "text": "מה עם 50% הנחה & הטבה?"},
       {"direction": "outgoing", "text": "a=1&b=2 — לא, אבל יש הנחת נאמנות"}]
      """
    When openTicket runs
    Then the adapter answers complete
    And the submit request carried fld_message = "היי אבי! בשמחה. מה דגם הרכב?\nתודה, נציג יחזור אליך היום עד 18:00\nמחיר מיוחד: 1,200 ₪ + מע\"מ 🚗⚡\nבתוקף עד 31/03\na=1&b=2 — לא, אבל יש הנחת נאמנות"

  @must
  Scenario: crmData.result is the new lead's id, and the chat's other crmData is kept
    Given the chat's crmData is:
      | source   | קמפיין וואטסאפ |
      | מטפל     | יוסי לוי       |
    When openTicket runs
    Then the adapter answers complete
    And crmData.result is the new lead's id
    And crmData keeps what the chat had
    And crmData["מטפל"] is "יוסי לוי"
    And the simulator received 1 submit request
    And the submit request was answered success

  @must
  Scenario Outline: The chat phone <phone> is sent formatted for display as <display>
    Given the chat's phone is "<phone>"
    When openTicket runs
    Then the adapter answers complete
    And the submit request carried fld_phone = "<display>"

    Examples:
      | phone        | display      |
      | 972521234567 | 052-123-4567 |
      | 972586677001 | 058-667-7001 |
      | 97236123456  | 03-612-3456  |
      | 97248512345  | 04-851-2345  |
      | 97226251234  | 02-625-1234  |
      | 97286231234  | 08-623-1234  |
      | 97297401234  | 09-740-1234  |
      | 972771234567 | 077-123-4567 |

  @must
  Scenario: A wrong lm_key is refused, the adapter fails, and no lead is stored
    Given the crmConfig's lm_key is "k-{lm_form}-00000000"
    And the chat's crmData is:
      | source | קמפיין וואטסאפ |
    When openTicket runs
    Then the adapter answers failure
    And crmData is as it was
    And the simulator received 1 submit request
    And the submit request was answered failure "wrong lm_key for form {lm_form}"
    And the account holds no lead

  @must
  Scenario: A disabled form refuses the lead, and the adapter fails
    Given the account's form is disabled
    When openTicket runs
    Then the adapter answers failure
    And crmData is as it was
    And the submit request was answered failure "form {lm_form} is disabled"
    And the account holds no lead

  @must
  Scenario Outline: Without <key> openTicket fails, and nothing is sent
    Given the crmConfig has no <key>
    When openTicket runs
    Then the adapter answers failure
    And crmData is as it was
    And the simulator received no request
    And the account holds no lead

    Examples:
      | key     |
      | lm_form |
      | lm_key  |

  @must
  Scenario: The seed's leadim_open node creates the lead and goes to lead_created
    Given the seed's flow "leadim_open"
    And the contact answered lead_get_name with "אבי מזרחי"
    When the flow runs from "leadim_open"
    Then the flow reaches "lead_created"
    And crmData.result is the new lead's id
    And '%chat:crmData.result%' renders as "{new_lid}"
    And the submit request carried fld_name = "אבי מזרחי"

  @must
  Scenario: The seed's leadim_open node goes to lead_failed when Lead.IM refuses
    Given the seed's flow "leadim_open"
    And the account's form is disabled
    When the flow runs from "leadim_open"
    Then the flow reaches "lead_failed"
    And the submit request was answered failure "form {lm_form} is disabled"
    And the account holds no lead

  @must
  Scenario Outline: <character> in the <node> answer arrives as typed
    Form encoding gives + and & a meaning of their own, so each must be escaped.

    Given the contact answered <node> with "<answer>"
    When openTicket runs
    Then the adapter answers complete
    And the submit request carried <param> = "<answer>"
    And the new lead has:
      | <field> | <answer> |

    Examples:
      | character | node           | answer                 | param     | field  |
      | +         | lead_get_email | avi+leads@gmail.com    | fld_email | דוא"ל  |
      | &         | lead_get_name  | מזרחי & בניו           | fld_name  | שם     |
      | +         | lead_get_name  | אבי+שרה מזרחי          | fld_name  | שם     |
      | = and %   | lead_get_name  | אבי מזרחי (50%=חצי)    | fld_name  | שם     |

  @must
  Scenario: Outgoing texts keep their leading indentation and their closing line break
    fld_message is the outgoing texts as the agent wrote them, joined by newlines:
    nothing is trimmed.

    Given the chat's messages, as JSON:
      """
      [{"direction": "outgoing", "text": "  מחירון ביטוח רכב:\n  - מקיף: 2,400 ₪\n  - צד ג': 1,100 ₪\n"},
       {"direction": "incoming", "text": "תודה"},
       {"direction": "outgoing", "text": "\tנציג יחזור אליך מחר\n"}]
      """
    When openTicket runs
    Then the adapter answers complete
    And the submit request carried fld_message = "היי אבי! בשמחה. מה דגם הרכב?\nתודה, נציג יחזור אליך היום עד 18:00\n  מחירון ביטוח רכב:\n  - מקיף: 2,400 ₪\n  - צד ג': 1,100 ₪\n\n\tנציג יחזור אליך מחר\n"
    And the submit request carried fld_message = the outgoing texts, joined by newlines

  @must
  Scenario: An empty lead_get_name answer falls back to the chat title
    Given the contact answered lead_get_name with ""
    When openTicket runs
    Then the adapter answers complete
    And the submit request carried fld_name = "אבי מזרחי"
    And the new lead has:
      | שם | אבי מזרחי |

  @must
  Scenario: A blank lead_get_name answer counts as not given, too
    Given the contact answered lead_get_name with "   "
    When openTicket runs
    Then the adapter answers complete
    And the submit request carried fld_name = "אבי מזרחי"
    And the new lead has:
      | שם | אבי מזרחי |

  @must
  Scenario: Prompt answers are sent as typed, spaces included
    Only an empty or blank answer is replaced; any other is not trimmed.

    Given the contact answered lead_get_name with " אבי מזרחי "
    And the contact answered lead_get_email with "avi.mizrahi@gmail.com "
    When openTicket runs
    Then the adapter answers complete
    And the submit request carried fld_name = " אבי מזרחי "
    And the submit request carried fld_email = "avi.mizrahi@gmail.com "

  @must
  Scenario: A long Hebrew message arrives whole
    3,000 Hebrew characters are about 5,500 bytes of UTF-8, under Lead.IM's limit of
    3,500 characters: nothing may be cut.

    Given the chat's only message is an outgoing text of 3000 characters
    When openTicket runs
    Then the adapter answers complete
    And the submit request carried fld_message of 3000 characters
    And the submit request carried fld_message = the outgoing texts, joined by newlines
    And the new lead's "הודעה" is 3000 characters long

  @must
  Scenario: lm_form typed as a number is sent as its digits
    Given the crmConfig's lm_form is the form's id as a number
    When openTicket runs
    Then the adapter answers complete
    And crmData.result is the new lead's id
    And the submit request carried lm_form = "{lm_form}"

  @must
  Scenario: A message without text adds nothing to fld_message, not even an empty line
    A picture or a voice note reaches the adapter as a message without text.

    Given the chat's messages, as JSON:
      """
      [{"direction": "outgoing"},
       {"direction": "outgoing", "text": "קיבלתי את התמונה, תודה!"}]
      """
    When openTicket runs
    Then the adapter answers complete
    And the submit request carried fld_message as:
      """
      היי אבי! בשמחה. מה דגם הרכב?
      תודה, נציג יחזור אליך היום עד 18:00
      קיבלתי את התמונה, תודה!
      """
