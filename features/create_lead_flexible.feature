@create_lead
Feature: Create lead (flexible) — the seed's create_lead request func
  The seed's create_lead node (features/flows/create_lead.yaml) runs verbatim; only
  its placeholder credentials and hosts are replaced by the scenario's account and
  the simulator. It sends a GET to /v2/submit with the chat's title and phone, the
  answers of the ask_email and ask_message prompts and utm_source=whatsapp, and keeps
  the answer, so %state:node.create_lead.response.result% is the new lead's id.

  Background:
    Given the seed's flow "create_lead"
    And a chat with phone "972503344556" titled "מיכל ביטון"
    And the contact answered ask_email with "michal.biton@gmail.com"
    And the contact answered ask_message with "מעוניינת בהצעה לביטוח דירה בחיפה, 4 חדרים"

  @must
  Scenario: create_lead creates the lead and keeps the new id in its response
    When the flow runs from "create_lead"
    Then the flow went create_lead → update_lead
    And '%state:node.create_lead.response.result%' renders as "{new_lid}"
    And node "create_lead" got HTTP status 200
    And the simulator received 1 submit request
    And the submit request carried:
      | lm_form     | {lm_form}                                |
      | lm_key      | {lm_key}                                 |
      | lm_redirect | no                                       |
      | name        | מיכל ביטון                               |
      | phone       | 050-334-4556                             |
      | email       | michal.biton@gmail.com                   |
      | msg         | מעוניינת בהצעה לביטוח דירה בחיפה, 4 חדרים |
      | utm_source  | whatsapp                                 |
    And the submit request was answered success
    And the account holds 1 lead
    And the new lead has:
      | שם     | מיכל ביטון                               |
      | טלפון  | 050-334-4556                             |
      | דוא"ל  | michal.biton@gmail.com                   |
      | הודעה  | מעוניינת בהצעה לביטוח דירה בחיפה, 4 חדרים |
      | status_id | 1                                     |

  @must
  Scenario: The UTM source is stored with the lead
    When the flow runs from "create_lead"
    Then the flow reaches "update_lead"
    And the submit request carried utm_source = "whatsapp"
    And the new lead has:
      | utm_source | whatsapp |

  @must
  Scenario: A message over 3500 characters is cut to 3500, and the journal says so
    Given the contact answered ask_message with a text of 3612 characters
    When the flow runs from "create_lead"
    Then the flow reaches "update_lead"
    And the submit request has the diagnostic "msg cut from 3612 to 3500 characters"
    And the new lead's "הודעה" is 3500 characters long
    And the account holds 1 lead

  @must
  Scenario: Without an e-mail answer the lead is created with an empty e-mail
    Given the contact answered ask_email with ""
    When the flow runs from "create_lead"
    Then the flow reaches "update_lead"
    And the submit request carried email = ""
    And the account holds 1 lead

  @must
  Scenario: A wrong lm_key answers HTTP 200 with a failure envelope, so the seed's flow still takes on_complete
    The seed's create_lead routes on the HTTP status alone: Lead.IM's refusal is a
    success for the request func, and the next node finds no lead id.

    Given the flow's placeholder YOUR_LM_KEY stands for "k-{lm_form}-00000000"
    When the flow runs from "create_lead"
    Then the flow reaches "update_lead"
    And node "create_lead" got HTTP status 200
    And the submit request was answered failure "wrong lm_key for form {lm_form}"
    And '%state:node.create_lead.response.result%' renders as ""
    And the account holds no lead
