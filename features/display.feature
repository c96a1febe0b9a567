@display
Feature: getCustomerDetails, display mode (onlyDisplayData: true)
  Lead.IM pushes aid and lid (or pp_aid and pp_lid) onto the chat; the adapter makes
  no API call and only builds id, name, phone and deepLink from them. Without any
  crmData on the chat it is on_failure. The crmConfig still holds a valid token and
  lookup URL, so "no request" means the adapter chose not to call.

  Background:
    Given the crmConfig's onlyDisplayData is true
    And a chat with phone "972528841350" titled "מוחמד ח'טיב"

  @must
  Scenario: aid and lid on the chat become the id and the deep link
    Given the chat's crmData is:
      | aid | {aid}       |
      | lid | 100231      |
      | שם  | מוחמד ח'טיב |
    When getCustomerDetails runs
    Then the adapter answers complete
    And crmData.id is "100231"
    And crmData.name is "מוחמד ח'טיב"
    And crmData.phone is "972528841350"
    And crmData.deepLink is "{ui}/a/{aid}/leads/100231"
    And crmData["aid"] is "{aid}"
    And crmData["lid"] is "100231"
    And crmData.id has JSON type string
    And the deep link is built on endpoints.ui, not on the API's origin
    And the simulator received no request

  @must
  Scenario: pp_aid and pp_lid are used when aid and lid are absent
    Given the chat's crmData is:
      | pp_aid | {aid}       |
      | pp_lid | 100487      |
      | שם     | ז'ניה קוגן  |
    When getCustomerDetails runs
    Then the adapter answers complete
    And crmData.id is "100487"
    And crmData.name is "ז'ניה קוגן"
    And crmData.deepLink is "{ui}/a/{aid}/leads/100487"
    And the simulator received no request

  @must
  Scenario: aid and lid win over pp_aid and pp_lid
    Given the chat's crmData is:
      | aid    | {aid}  |
      | lid    | 100231 |
      | pp_aid | 4410   |
      | pp_lid | 117000016 |
    When getCustomerDetails runs
    Then the adapter answers complete
    And crmData.id is "100231"
    And crmData.deepLink is "{ui}/a/{aid}/leads/100231"
    And the simulator received no request

  @must
  Scenario: crmData without either pair completes without an id
    Given the chat's crmData is:
      | source | פייסבוק |
    When getCustomerDetails runs
    Then the adapter answers complete
    And crmData has no key "id"
    And crmData.deepLink is "{ui}/a/"
    And crmData.phone is "972528841350"
    And crmData["source"] is "פייסבוק"
    And the simulator received no request

  @must
  Scenario: No crmData on the chat is on_failure, and nothing is sent
    Given the chat has no crmData
    When getCustomerDetails runs
    Then the adapter answers failure
    And the simulator received no request

  @must
  Scenario: The seed's leadim_lookup node routes a chat without crmData to unknown_lead
    Given the chat has no crmData
    And the seed's flow "leadim_lookup"
    When the flow runs from "leadim_lookup"
    Then the flow reaches "unknown_lead"
    And the simulator received no request

  @must
  Scenario: nameField picks the display name from the pushed crmData
    Given the crmConfig's nameField is "שם מלא"
    And the chat's crmData is:
      | aid     | {aid}             |
      | lid     | 100502            |
      | שם      | גרי               |
      | שם מלא  | גרשון "גרי" פרץ   |
    When getCustomerDetails runs
    Then the adapter answers complete
    And crmData.name is "גרשון \"גרי\" פרץ"
    And the simulator received no request

  @should
  Scenario: Numeric aid and lid, as some integrations push them, work too
    Given the chat's crmData, as JSON:
      """
      {"aid": 3305, "lid": 117000017, "שם": "דנה כהן"}
      """
    When getCustomerDetails runs
    Then the adapter answers complete
    And crmData.id is "117000017"
    And crmData.id has JSON type string
    And crmData.deepLink is "{ui}/a/3305/leads/117000017"
    And the simulator received no request

  @must
  Scenario: onlyDisplayData typed as the text "true" is display mode too
    Customers type crmConfig into a form, so the switch may arrive as text.

    Given the crmConfig's onlyDisplayData is the text "true"
    And the chat's crmData is:
      | aid | {aid}  |
      | lid | 100231 |
    When getCustomerDetails runs
    Then the adapter answers complete
    And crmData.id is "100231"
    And crmData.deepLink is "{ui}/a/{aid}/leads/100231"
    And the simulator received no request

  @must
  Scenario: aid without lid is no pair: pp_aid and pp_lid give the id and the link
    Each pair is whole or not used; aid is not combined with pp_lid.

    Given the chat's crmData is:
      | aid    | 4410        |
      | pp_aid | {aid}       |
      | pp_lid | 100733      |
      | שם     | אלכס גרינברג |
    When getCustomerDetails runs
    Then the adapter answers complete
    And crmData.id is "100733"
    And crmData.deepLink is "{ui}/a/{aid}/leads/100733"
    And crmData.name is "אלכס גרינברג"
    And crmData["aid"] is "4410"
    And the simulator received no request

  @must
  Scenario: An empty crmData is present: complete without an id, with the account link
    An empty map is crmData all the same; only a chat without crmData fails.

    Given the chat's crmData is empty
    When getCustomerDetails runs
    Then the adapter answers complete
    And crmData has no key "id"
    And crmData.deepLink is "{ui}/a/"
    And crmData.phone is "972528841350"
    And the simulator received no request
