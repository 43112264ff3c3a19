"""Follow-up questions read with the conversation so far (no language model): a place alone, a topic
alone, a qualifier alone; comparisons of named regions; the history limits of the API."""
from __future__ import annotations

import httpx
import pytest

from familydesk.conversation import standalone


@pytest.fixture(scope="module")
def reader(assistant):
    return assistant.reader


def _history(*questions):
    out = []
    for q in questions:
        out += [{"role": "user", "content": q}, {"role": "assistant", "content": "…"}]
    return out


def test_a_place_alone_reasks_the_last_question_for_that_place(reader):
    assert standalone(reader, "包头呢？", _history("北京有生育补贴吗")).question == "包头有生育补贴吗"
    u = standalone(reader, "and in Ganzhou?", _history("how long is paternity leave in Baotou"))
    assert u.question == "how long is paternity leave in Ganzhou" and u.language == "en"


def test_a_topic_alone_is_asked_for_the_last_place_with_the_last_kind_of_figure(reader):
    u = standalone(reader, "那产假呢", _history("包头护理假多少天"))
    assert u.question.startswith("包头") and "产假" in u.question and "多少天" in u.question


def test_a_qualifier_alone_keeps_the_topic(reader):
    u = standalone(reader, "生三孩呢？", _history("包头产假多少天？"))
    assert "产假" in u.question and "三孩" in u.question and "包头" in u.question


def test_a_new_full_question_replaces_what_it_names(reader):
    assert standalone(reader, "赣州育儿补贴有多少", _history("包头产假多少天")).question == "赣州育儿补贴有多少"


def test_the_answer_follows_the_language_of_the_last_message(reader):
    u = standalone(reader, "包头呢？", _history("Is there a birth subsidy in Beijing?"))
    assert u.language == "zh" and "Baotou" in u.question


def test_follow_ups_answered_end_to_end(assistant):
    first = assistant.ask("包头产假多少天？")
    follow = assistant.ask("生三孩呢？", history=[{"role": "user", "content": "包头产假多少天？"},
                                                 {"role": "assistant", "content": first.answer}])
    assert not follow.abstained and "188天" in follow.citations[0].text and follow.standalone_question
    a = assistant.ask("What about Baotou?", history=_history("Is there a birth subsidy in Beijing?"))
    assert a.citations[0].region == "包头" and a.language == "en"


def test_a_place_alone_as_first_message_asks_what_to_know(assistant):
    a = assistant.ask("我在包头")
    assert a.abstained and a.reason == "clarify" and "包头" in a.answer


def test_comparison_answers_exactly_the_regions_named(assistant):
    a = assistant.ask("包头和赣州的生育保险政策对比一下")
    assert not a.abstained and not a.answer.startswith("没有指明城市")
    assert {c.region for c in a.citations} <= {"包头", "赣州"} and {c.region for c in a.citations[:2]} == {"包头", "赣州"}


def test_history_limits_are_enforced_over_http(live):
    url = live.url + "/api/ask"
    too_many = [{"role": "user", "content": "产假"}] * 21
    assert httpx.post(url, json={"question": "包头呢", "history": too_many}).status_code == 422
    too_long = [{"role": "user", "content": "产" * 4001}]
    assert httpx.post(url, json={"question": "包头呢", "history": too_long}).status_code == 422
    full = [{"role": "user", "content": "产" * 4000}] * 20  # the most that is allowed passes the body limit
    assert httpx.post(url, json={"question": "包头呢", "history": full}, timeout=30).status_code == 200
    ok = httpx.post(url, json={"question": "包头呢", "history": _history("北京有生育补贴吗")})
    assert ok.status_code == 200 and ok.json()["standalone_question"] == "包头有生育补贴吗"


def test_a_place_with_a_qualifier_keeps_the_topic_and_adds_the_qualifier(reader):
    u = standalone(reader, "算了还是说包头，三胎呢", _history("北京产假多少天"))
    assert "包头" in u.question and "产假" in u.question and "三胎" in u.question and "北京" not in u.question


def test_a_comparison_followed_by_one_place_asks_for_that_place_alone(reader):
    u = standalone(reader, "赣州呢", _history("北京和包头的育儿假有什么区别"))
    assert u.question == "赣州的育儿假有什么区别"


def test_an_off_topic_follow_up_stands_alone(reader):
    u = standalone(reader, "What's the weather like in Ganzhou this weekend?",
                   _history("Does Baotou's medical insurance cover an epidural?"))
    assert u.question == "What's the weather like in Ganzhou this weekend?"


def test_a_full_question_without_a_place_does_not_inherit_the_kind_of_figure(reader):
    u = standalone(reader, "无痛分娩能报销吗", _history("北京生育津贴能领多少钱"))
    assert u.question.startswith("北京") and "多少钱" not in u.question


def test_one_english_word_read_through_the_dictionary_is_still_a_follow_up(reader):
    q = reader.read("and for the parents?")
    assert [g.weak for g in q.groups] == [True], "parents should be read through CC-CEDICT only"
    u = standalone(reader, "and for the parents?", _history("how long is paternity leave in Baotou"))
    assert u.question.startswith("how long is paternity leave in Baotou")


def test_a_place_with_a_figure_asked_keeps_the_ask(reader):
    """"赣州究竟能领多少钱" after a comparison: the topic comes from before, the amount asked stays."""
    u = standalone(reader, "赣州究竟能领多少钱", _history("北京和包头的育儿补贴比较一下"))
    q = reader.read(u.question)
    assert q.cities == ["赣州"] and q.quantity == "money" and "育儿补贴" in u.question


def test_a_place_with_a_pointer_back_reasks_what_was_discussed(reader):
    # 这种 (this kind of): what follows names what the conversation was about
    u = standalone(reader, "包头有这种优惠吗", _history("北京儿童坐公交免票吗"))
    assert u.question == "包头儿童坐公交免票吗"
    # 这两项 and a word the documents never use (能报): still the previous question, for the new place
    u = standalone(reader, "北京这两项能报吗", _history("包头做试管能走医保吗", "无痛分娩呢"))
    assert u.question.startswith("北京") and "无痛分娩" in u.question


def test_this_before_a_policy_term_the_conversation_never_used_is_a_new_question(reader):
    # 这个 + a term of the documents not said before: the person names a new topic
    assert standalone(reader, "包头这个育儿补贴怎么领", _history("北京的产假多少天")).question == "包头这个育儿补贴怎么领"


def test_this_before_a_word_of_the_last_reply_points_at_it(reader):
    history = [{"role": "user", "content": "赣州有免费学前教育吗"},
               {"role": "assistant", "content": "【赣州】“逐步推行免费学前教育。”"}]
    assert standalone(reader, "北京有这个学前教育吗", history).question == "北京有免费学前教育吗"


def test_a_correction_naming_a_place_reasks_for_it(reader):
    assert standalone(reader, "不是 我是说包头", _history("北京托育机构水电按居民价收吗")).question == "包头托育机构水电按居民价收吗"


def test_an_english_follow_up_pointing_back_keeps_what_was_asked(reader):
    u = standalone(reader, "Is it paid?", _history("How much parental leave do we get in Baotou until the kid turns 3?"))
    assert "parental leave" in u.question and "paid" in u.question
    # a new topic without a pointer is asked for the last place alone
    u = standalone(reader, "what about housing?", _history("Is there priority for a public nursing home in Beijing?"))
    assert "nursing" not in u.question and "housing" in u.question


def test_a_follow_up_of_chatty_fragments_keeps_the_question(reader):
    # 能领, 休到, 加发: everyday characters jieba runs together, neither the documents' words nor the language's
    for follow_up, first in (("能领几回啊", "赣州育儿补贴怎么领"), ("能休到娃几岁", "包头育儿假一年几天"),
                             ("还会再加发不", "赣州有育儿补贴没")):
        u = standalone(reader, follow_up, _history(first))
        assert first in u.question.replace(" ", "") or first[:4] in u.question, (follow_up, u.question)
    # a word of the language the documents never use is a question of its own
    assert "产假" not in standalone(reader, "那天气怎么样", _history("包头产假多少天")).question


def test_a_follow_up_asking_another_kind_of_figure_drops_the_last_ask(reader):
    u = standalone(reader, "能休到娃几岁", _history("包头育儿假一年几天"))
    assert "育儿假" in u.question and "几天" not in u.question and "几岁" in u.question
    assert reader.read(u.question).quantity == "age"


def test_an_english_pointer_of_kind_with_a_place_reasks_for_that_place(reader):
    first = "Can children ride buses for free in Beijing?"
    u = standalone(reader, "Is there a kids' discount like that in Ganzhou?", _history(first))
    assert "Ganzhou" in u.question and "buses" in u.question and "Beijing" not in u.question, u.question
    # a question of its own with a place is still new
    u = standalone(reader, "Is there a childcare subsidy in Ganzhou?", _history(first))
    assert u.question == "Is there a childcare subsidy in Ganzhou?"


def test_a_modifier_alone_narrows_what_was_just_asked(reader):
    # 普惠 with the last question's 托位 makes the documents' 普惠托位: the 普惠 places, as a share
    u = standalone(reader, "普惠的占几成", _history("包头托位有多少"))
    assert "托位" in u.question and reader.read(u.question).quantity == "percent"
    # 产假 with 护理假 makes no term: a topic of its own
    assert "护理假" not in standalone(reader, "产假的呢", _history("包头护理假多少天")).question


def test_the_same_thing_named_in_english_is_a_question_of_its_own(reader):
    # "the same one-stop service" names the thing in words the documents' glossary knows: asked as written
    u = standalone(reader, "Does Ganzhou have the same one-stop service?",
                   _history("北京出生证明、打疫苗、上户口能一起办吗"))
    assert u.question == "Does Ganzhou have the same one-stop service?"
