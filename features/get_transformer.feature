@get_transformer
Feature: The get transformer reads Hebrew crmData keys after a lookup
  Lead.IM field names are Hebrew, so the seed recommends the get transformer to read
  them from crmData: '%chat:crmData|get("מטפל")%'. A key the lead lacks gives the
  empty string.

  Background:
    Given the account has these leads:
      | שם       | טלפון        | עיר    | מטפל         | קישור לצ'אט                             |
      | יעל שטרן | 972544408126 | רמת גן | אורית שמעוני | https://app.texter.example/chats/c-5521 |
    And a chat with phone "972544408126" titled "יעל"
    And the seed's flow "leadim_lookup"

  @must
  Scenario: get("מטפל") gives the lead's handler after the lookup
    When the flow runs from "leadim_lookup"
    Then the flow reaches "known_lead"
    And '%chat:crmData|get("מטפל")%' renders as "אורית שמעוני"
    And '%chat:crmData|get("עיר")%' renders as "רמת גן"
    And '%chat:crmData.name%' renders as "יעל שטרן"
    And a lookup request carried by_phone = "972544408126"

  @must
  Scenario: get reads a key with an apostrophe
    When the flow runs from "leadim_lookup"
    Then '%chat:crmData|get("קישור לצ'אט")%' renders as "https://app.texter.example/chats/c-5521"
    And every lookup request carried the account's read-write token in X-LEAD-IM-AUTH

  @must
  Scenario: get of a field the lead does not have gives the empty string
    When the flow runs from "leadim_lookup"
    Then '%chat:crmData|get("תקציב")%' renders as ""
    And 'תקציב: %chat:crmData|get("תקציב")%.' renders as "תקציב: ."
    And every lookup request was answered success

  @must
  Scenario: An unknown contact leaves nothing to get
    Given the chat's phone is "972589990000"
    When the flow runs from "leadim_lookup"
    Then the flow reaches "unknown_lead"
    And '%chat:crmData|get("מטפל")%' renders as ""
    And a lookup request carried by_phone = "972589990000"

  @must
  Scenario: The handler read with get goes into an update request
    Given the flow also has these nodes:
      """
      known_lead:
        type: func
        func_type: system
        func_id: request
        params:
          url: "https://proxy.leadim.xyz/apiproxy/YOUR_ACCOUNT_ID/api/lead_update.ashx"
          method: post
          headers:
            X-LEAD-IM-AUTH: "YOUR_TOKEN"
          data:
            by_id: "%chat:crmData.id%"
            סטטוס: 'הועבר ל%chat:crmData|get("מטפל")%'
        on_complete: done
        on_failure: update_failed
      """
    When the flow runs from "leadim_lookup"
    Then the flow went leadim_lookup → known_lead → done
    And the update request carried:
      | by_id | {new_lid}            |
      | סטטוס | הועבר לאורית שמעוני |
    And the update request was answered success
    And the new lead has:
      | סטטוס | הועבר לאורית שמעוני |
      | מטפל  | אורית שמעוני         |
