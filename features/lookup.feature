@lookup
Feature: getCustomerDetails, lookup mode — is the sender a known lead?
  At the start of a flow, and whenever a chat is opened, the adapter looks the chat's
  phone up at getCustomerDetailsUrl (by_phone, X-LEAD-IM-AUTH) and puts every field of
  the newest matching lead on crmData, under its Lead.IM field name — Hebrew names
  included — with id, name, phone and deepLink. No match is on_failure.

  @must
  Scenario: A known lead's fields land on crmData under their Hebrew names
    Given the account has these leads:
      | שם      | טלפון        | עיר         | מטפל     | דוא"ל                |
      | דנה כהן | 972521234567 | תל אביב-יפו | יוסי לוי | dana.cohen@gmail.com |
    And a chat with phone "972521234567" titled "דנה"
    When getCustomerDetails runs
    Then the adapter answers complete
    And crmData["שם"] is "דנה כהן"
    And crmData["מטפל"] is "יוסי לוי"
    And crmData["עיר"] is "תל אביב-יפו"
    And crmData["דוא\"ל"] is "dana.cohen@gmail.com"
    And crmData["טלפון"] is "972521234567"
    And crmData.id is the id of the lead of "דנה כהן"
    And crmData.name is "דנה כהן"
    And crmData.phone is "972521234567"
    And crmData.deepLink is the link to the lead of "דנה כהן"
    And a lookup request carried by_phone = "972521234567"
    And every lookup request carried the account's read-write token in X-LEAD-IM-AUTH
    And every lookup request was answered success

  @must
  Scenario: The seed's leadim_lookup node routes a known lead to known_lead
    Given the account has these leads:
      | שם          | טלפון        | עיר  | מטפל        |
      | מוחמד ח'טיב | 972528841350 | חיפה | רונית אברהם |
    And a chat with phone "972528841350" titled "מוחמד"
    And the seed's flow "leadim_lookup"
    When the flow runs from "leadim_lookup"
    Then the flow reaches "known_lead"
    And crmData["מטפל"] is "רונית אברהם"
    And crmData.name is "מוחמד ח'טיב"
    And a lookup request carried by_phone = "972528841350"

  @must
  Scenario: nameField names the field shown as the contact's name
    A newsletter form collects no name, only an e-mail address, so the customer
    points nameField at the e-mail field.

    Given the account has these leads:
      | טלפון        | דוא"ל                      | עיר     |
      | 972546650011 | orly.ben-david@walla.co.il | הרצליה |
    And the crmConfig's nameField is "דוא\"ל"
    And a chat with phone "972546650011" titled "אורלי"
    When getCustomerDetails runs
    Then the adapter answers complete
    And crmData.name is "orly.ben-david@walla.co.il"
    And crmData["עיר"] is "הרצליה"
    And crmData.id is the id of the newest lead
    And a lookup request carried by_phone = "972546650011"

  @must
  Scenario: An unknown phone is on_failure, and crmData stays as it was
    Given the account has these leads:
      | שם          | טלפון        |
      | יעל שטרן    | 972544408126 |
    And a chat with phone "972589990000" titled "מספר לא מוכר"
    And the chat's crmData is:
      | source | whatsapp |
    When getCustomerDetails runs
    Then the adapter answers failure
    And crmData is as it was
    And a lookup request carried by_phone = "972589990000"
    And every lookup request was answered success
    And every lookup request carried the account's read-write token in X-LEAD-IM-AUTH

  @must
  Scenario: The seed's leadim_lookup node routes an unknown contact to unknown_lead
    Given a chat with phone "972589990000" titled "מספר לא מוכר"
    And the seed's flow "leadim_lookup"
    When the flow runs from "leadim_lookup"
    Then the flow reaches "unknown_lead"
    And the simulator received at least 1 lookup request

  Scenario Outline: A lead stored as <stored> is found for the chat phone 972541234567
    Forms store the phone as the visitor typed it, and Lead.IM matches by_phone exactly.

    Given the account has these leads:
      | שם        | טלפון    | עיר     |
      | אבי מזרחי | <stored> | באר שבע |
    And a chat with phone "972541234567" titled "אבי"
    When getCustomerDetails runs
    Then the adapter answers complete
    And crmData["עיר"] is "באר שבע"
    And crmData.phone is "<stored>"
    And crmData.id is the id of the lead of "אבי מזרחי"
    And a lookup request carried by_phone = "<stored>"

    @must
    Examples: the chat's own format
      | stored       |
      | 972541234567 |

    @should
    Examples: the formats forms store
      | stored       |
      | 0541234567   |
      | 054-123-4567 |

  @must
  Scenario Outline: Without <key> the lookup fails, and nothing is sent
    Given the account has these leads:
      | שם          | טלפון        |
      | מיכל ביטון  | 972503344556 |
    And a chat with phone "972503344556" titled "מיכל"
    And the crmConfig has no <key>
    When getCustomerDetails runs
    Then the adapter answers failure
    And crmData is as it was
    And the simulator received no request

    Examples:
      | key                   |
      | token                 |
      | getCustomerDetailsUrl |

  @must
  Scenario Outline: With <token> the lookup is refused, and the adapter fails
    Given the account has these leads:
      | שם          | טלפון        |
      | מיכל ביטון  | 972503344556 |
    And a chat with phone "972503344556" titled "מיכל"
    And the crmConfig's token is <token>
    When getCustomerDetails runs
    Then the adapter answers failure
    And crmData is as it was
    And the lookup request was answered failure "<error>"

    Examples:
      | token                          | error                      |
      | the account's write-only token | token lacks the read scope |
      | another account's token        | invalid token              |
      | an unknown token               | invalid token              |

  @must
  Scenario: A read-only token is enough for a lookup
    Given the account has these leads:
      | שם         | טלפון        | מטפל     |
      | רחל גולדברג | 97236123456 | יוסי לוי |
    And a chat with phone "97236123456" titled "רחל"
    And the crmConfig's token is the account's read-only token
    When getCustomerDetails runs
    Then the adapter answers complete
    And crmData["מטפל"] is "יוסי לוי"
    And every lookup request carried the account's read-only token in X-LEAD-IM-AUTH

  @must
  Scenario: A returning customer: the newest of the matching leads wins
    Given the account has these leads:
      | שם          | טלפון        | מטפל        | עיר     | created_at           |
      | שלמה אזולאי | 972506124478 | יוסי לוי    | אשדוד   | 2025-11-02T08:30:00Z |
      | שלמה אזולאי | 972506124478 | רונית אברהם | אשקלון  | 2026-02-17T14:05:00Z |
    And a chat with phone "972506124478" titled "שלמה"
    When getCustomerDetails runs
    Then the adapter answers complete
    And crmData["מטפל"] is "רונית אברהם"
    And crmData["עיר"] is "אשקלון"
    And crmData.id is the id of the newest lead
    And a lookup request carried by_phone = "972506124478"
    And every lookup request was answered success

  @must
  Scenario: The newest lead wins even when it has the lower id
    A lead imported late from an old campaign gets a higher id than a lead the
    contact left last week: newest means by creation time, not by id.

    Given the account has these leads:
      | שם         | טלפון        | מטפל         | עיר       | created_at           |
      | אבי מזרחי  | 972523308814 | אורית שמעוני | באר שבע   | 2026-03-01T09:40:00Z |
      | אבי מזרחי  | 972523308814 | יוסי לוי     | דימונה    | 2024-06-12T16:20:00Z |
    And a chat with phone "972523308814" titled "אבי"
    When getCustomerDetails runs
    Then the adapter answers complete
    And crmData["מטפל"] is "אורית שמעוני"
    And crmData["עיר"] is "באר שבע"
    And crmData.id is the id of the newest lead

  @must
  Scenario: Of two leads created in the same second, the one updated last wins
    Lead.IM orders leads by (created_at, updated_at, lid), newest first; an adapter
    takes data[0] and does not re-sort by id.

    Given the account has these leads:
      | שם          | טלפון        | מטפל        | סטטוס      | created_at           | updated_at           |
      | רחל גולדברג | 972546612093 | רונית אברהם | בטיפול     | 2026-02-10T11:00:00Z | 2026-03-04T08:15:00Z |
      | רחל גולדברג | 972546612093 | יוסי לוי    | ליד חדש    | 2026-02-10T11:00:00Z | 2026-02-10T11:00:00Z |
    And a chat with phone "972546612093" titled "רחל"
    When getCustomerDetails runs
    Then the adapter answers complete
    And crmData["מטפל"] is "רונית אברהם"
    And crmData["סטטוס"] is "בטיפול"
    And crmData.id is the id of the newest lead

  @must
  Scenario: The lookup keeps what the chat's crmData already held
    crmData is the chat's whole map after the call: a lookup adds the lead's fields
    and the display keys, and keeps the keys earlier nodes left.

    Given the account has these leads:
      | שם        | טלפון        | עיר      | מטפל         |
      | יוסי לוי  | 972502217788 | נתניה    | אורית שמעוני |
    And a chat with phone "972502217788" titled "יוסי"
    And the chat's crmData is:
      | source       | קמפיין פייסבוק |
      | utm_campaign | ביטוח-רכב-2026 |
      | תקציב        | 5,000 ₪        |
    When getCustomerDetails runs
    Then the adapter answers complete
    And crmData keeps what the chat had
    And crmData["source"] is "קמפיין פייסבוק"
    And crmData["תקציב"] is "5,000 ₪"
    And crmData["מטפל"] is "אורית שמעוני"
    And crmData.id is the id of the lead of "יוסי לוי"

  @must
  Scenario: The lead's id is a string on crmData, as protocol v1 gives it
    Given the account has these leads:
      | שם          | טלפון        | עיר  |
      | מיכל ביטון  | 972503344556 | חיפה |
    And a chat with phone "972503344556" titled "מיכל"
    When getCustomerDetails runs
    Then the adapter answers complete
    And crmData.id is the id of the lead of "מיכל ביטון"
    And crmData.id has JSON type string

  @must
  Scenario: The deep link is built on Lead.IM's UI, not on the API proxy's origin
    Lead.IM's UI (sys.lead.im) and its API proxy (proxy.leadim.xyz) are different
    hosts; the suite serves them on different origins too.

    Given the account has these leads:
      | שם          | טלפון        | עיר      |
      | דוד פרידמן  | 972549017733 | ירושלים  |
    And a chat with phone "972549017733" titled "דוד"
    When getCustomerDetails runs
    Then the adapter answers complete
    And crmData.deepLink is the link to the lead of "דוד פרידמן"
    And the deep link is built on endpoints.ui, not on the API's origin

  @should
  Scenario: When the chat's own format finds the lead, one lookup request is enough
    Given the account has these leads:
      | שם        | טלפון        | עיר     |
      | נועה ברק  | 972527001122 | כפר סבא |
    And a chat with phone "972527001122" titled "נועה"
    When getCustomerDetails runs
    Then the adapter answers complete
    And crmData["עיר"] is "כפר סבא"
    And the simulator received 1 lookup request
    And the lookup request carried by_phone = "972527001122"

  @should
  Scenario: Phone formats are tried in order: the chat's own, then 0…, then 0XX-XXX-XXXX
    Given the account has these leads:
      | שם          | טלפון        | עיר   |
      | שלמה אזולאי | 050-612-4478 | אשדוד |
    And a chat with phone "972506124478" titled "שלמה"
    When getCustomerDetails runs
    Then the adapter answers complete
    And crmData["עיר"] is "אשדוד"
    And crmData.phone is "050-612-4478"
    And the lookup requests carried by_phone, in order:
      | 972506124478 |
      | 0506124478   |
      | 050-612-4478 |

  @should
  Scenario: The token travels in X-LEAD-IM-AUTH only, never in the URL
    A token in the query string ends up in every proxy's and server's access log.

    Given the account has these leads:
      | שם       | טלפון        |
      | יעל שטרן | 972544408126 |
    And a chat with phone "972544408126" titled "יעל"
    When getCustomerDetails runs
    Then the adapter answers complete
    And every lookup request carried the account's read-write token in X-LEAD-IM-AUTH
    And every lookup request carried no parameter but by_phone

  @must
  Scenario: onlyDisplayData typed as the text "false" is lookup mode
    A non-empty text is "truthy" in JavaScript and Python; here "false" is false.

    Given the crmConfig's onlyDisplayData is the text "false"
    And the account has these leads:
      | שם       | טלפון        | עיר     | מטפל        |
      | נועה ברק | 972527001122 | כפר סבא | רונית אברהם |
    And a chat with phone "972527001122" titled "נועה"
    When getCustomerDetails runs
    Then the adapter answers complete
    And crmData["מטפל"] is "רונית אברהם"
    And crmData.id is the id of the lead of "נועה ברק"
    And a lookup request carried by_phone = "972527001122"
