@resilience @should
Feature: Resilience — Lead.IM misbehaves, the adapter fails cleanly
  The real service is slow at times, answers 5xx, answers 200 with failure bodies or
  half a body, and drops connections. Whatever it does, the adapter answers failure
  within its timeout (the suite sets it through LEADIM_ADAPTER_TIMEOUT_MS) plus one
  second, never crashes or hangs, and leaves crmData as it was. The timeout is the
  budget of the whole call, however many requests it makes. Faults are injected into
  the scenario's own account only.

  Background:
    Given the account has these leads:
      | שם       | טלפון        | עיר       | מטפל        |
      | נועה ברק | 972527001122 | כפר סבא   | רונית אברהם |
    And a chat with phone "972527001122" titled "נועה ברק"
    And the chat's crmData is:
      | source | קמפיין פייסבוק |
    And the chat's messages:
      | direction | text                              |
      | incoming  | היי, אשמח להצעה לביטוח רכב        |
      | outgoing  | בשמחה נועה! נציג יחזור אלייך בקרוב |

  Scenario Outline: getCustomerDetails meets <fault>: failure within its timeout
    Given the simulator injects <fault> into every lookup request
    When getCustomerDetails runs
    Then the adapter answers failure within its timeout
    And crmData is as it was
    And every lookup request was journaled with the fault

    Examples:
      | fault                                |
      | status 500                           |
      | status 502                           |
      | status 503                           |
      | status 429                           |
      | a failure envelope                   |
      | malformed JSON                       |
      | a truncated body                     |
      | an IIS error page                    |
      | a closed connection                  |
      | a reset connection                   |
      | a hang                               |
      | latency beyond the adapter's timeout |

  Scenario: Every phone format answers just under the timeout: failure within the timeout
    A lookup that finds nothing tries three phone formats, and here Lead.IM answers
    each just before the timeout. An adapter that gives each request a timeout of its
    own answers only after all three, long past the deadline of the call.

    Given the chat's phone is "972527009988"
    And the simulator injects latency just under the adapter's timeout into every lookup request
    When getCustomerDetails runs
    Then the adapter answers failure within its timeout
    And crmData is as it was
    And every lookup request was journaled with the fault

  Scenario Outline: openTicket meets <fault> before the lead is stored: failure, and no lead
    Given the simulator injects <fault> into every submit request
    When openTicket runs
    Then the adapter answers failure within its timeout
    And crmData is as it was
    And every submit request was journaled with the fault
    And the account holds 1 lead

    Examples:
      | fault               |
      | status 500          |
      | status 502          |
      | status 503          |
      | status 429          |
      | a failure envelope  |
      | malformed JSON      |
      | a truncated body    |
      | an IIS error page   |
      | a closed connection |
      | a reset connection  |
      | a hang              |

  Scenario Outline: openTicket meets <fault> after the lead was stored: the adapter cannot confirm it
    Lead.IM stored the lead but the answer was lost. The adapter cannot know the new
    id, so it fails; the journal and the store show the lead it could not confirm,
    exactly once.

    Given the simulator injects <fault> into every submit request, after the handler
    When openTicket runs
    Then the adapter answers failure within its timeout
    And crmData is as it was
    And every submit request was journaled with the fault
    And the submit request carried:
      | fld_name    | נועה ברק                          |
      | fld_phone   | 052-700-1122                      |
      | fld_message | בשמחה נועה! נציג יחזור אלייך בקרוב |
    And the account holds 2 leads
    And the new lead has:
      | שם    | נועה ברק                          |
      | טלפון | 052-700-1122                      |
      | הודעה | בשמחה נועה! נציג יחזור אלייך בקרוב |

    Examples:
      | fault                                |
      | status 500                           |
      | status 502                           |
      | status 503                           |
      | status 429                           |
      | a failure envelope                   |
      | malformed JSON                       |
      | a truncated body                     |
      | an IIS error page                    |
      | a closed connection                  |
      | a reset connection                   |
      | a hang                               |
      | latency beyond the adapter's timeout |
