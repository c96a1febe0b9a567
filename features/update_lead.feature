@update_lead
Feature: Update lead — the seed's update_lead request func
  The seed's update_lead node (features/flows/update_lead.yaml) posts by_id and the
  customer's custom fields to the account's lead_update.ashx with X-LEAD-IM-AUTH.
  by_id comes from create_lead's response, or from %chat:crmData.result% after
  openTicket. Lead.IM answers HTTP 200 even when it refuses an update, so the request
  func takes on_complete either way; only the answer (and the journal) tells.

  Background:
    Given a chat with phone "972526677889" titled "ולדימיר פטרובסקי"
    And the contact answered ask_email with "vladimir.p@gmail.com"
    And the contact answered ask_message with "רוצה לשמוע על ביטוח דירה ברמת גן"

  @must
  Scenario: After create_lead, update_lead sets a Hebrew custom field on the new lead
    Given the seed's flows "create_lead" and "update_lead"
    And the flow's placeholder some_field stands for "מטפל"
    And the flow's placeholder some_value stands for "רונית אברהם"
    When the flow runs from "create_lead"
    Then the flow went create_lead → update_lead → done
    And the simulator received 1 update request
    And the update request carried:
      | by_id | {new_lid}   |
      | מטפל  | רונית אברהם |
    And every update request carried the account's read-write token in X-LEAD-IM-AUTH
    And the update request was answered success
    And the new lead has:
      | שם   | ולדימיר פטרובסקי |
      | מטפל | רונית אברהם      |

  @must
  Scenario: The seed's update_lead as written: some_field is no field, and the journal says it was ignored
    Given the seed's flows "create_lead" and "update_lead"
    When the flow runs from "create_lead"
    Then the flow reaches "done"
    And the update request carried some_field = "some_value"
    And the update request was answered success
    And the update request has the diagnostic "unknown field some_field: ignored"

  @must
  Scenario: After openTicket, update_lead takes by_id from %chat:crmData.result%
    Given the seed's flows "leadim_open" and "update_lead"
    And node "leadim_open" continues on_complete to "update_lead"
    And node "update_lead" sends by_id = "%chat:crmData.result%"
    And the flow's placeholder some_field stands for "עיר"
    And the flow's placeholder some_value stands for "רמת גן"
    And node "update_lead" also sends:
      | סטטוס       | ממתין להצעת מחיר |
      | fld_handler | אורית שמעוני     |
    When the flow runs from "leadim_open"
    Then the flow went leadim_open → update_lead → done
    And crmData.result is the new lead's id
    And the update request carried by_id = "{new_lid}"
    And the update request was answered success
    And the new lead has:
      | שם    | ולדימיר פטרובסקי |
      | עיר   | רמת גן           |
      | סטטוס | ממתין להצעת מחיר |
      | מטפל  | אורית שמעוני     |

  @must
  Scenario: An unknown by_id is refused with HTTP 200, so the flow takes on_complete and nothing changes
    Given the account has these leads:
      | שם               | טלפון        | מטפל     |
      | ולדימיר פטרובסקי | 972526677889 | יוסי לוי |
    And the seed's flow "update_lead"
    And node "update_lead" sends by_id = "999999999"
    And the flow's placeholder some_field stands for "מטפל"
    And the flow's placeholder some_value stands for "רונית אברהם"
    When the flow runs from "update_lead"
    Then the flow reaches "done"
    And node "update_lead" got HTTP status 200
    And the update request carried by_id = "999999999"
    And the update request was answered failure "lead 999999999 not found"
    And the lead of "ולדימיר פטרובסקי" still has:
      | מטפל | יוסי לוי |

  @must
  Scenario: A read-only token cannot update: a failure envelope, on_complete, and the lead unchanged
    Given the seed's flows "create_lead" and "update_lead"
    And the flow's YOUR_TOKEN is the account's read-only token
    And the flow's placeholder some_field stands for "מטפל"
    And the flow's placeholder some_value stands for "רונית אברהם"
    When the flow runs from "create_lead"
    Then the flow reaches "done"
    And every update request carried the account's read-only token in X-LEAD-IM-AUTH
    And the update request was answered failure "token lacks the write scope"
    And the new lead has no field "מטפל"
