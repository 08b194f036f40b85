#pragma once

// A callback that is called exactly once: with the answer, or — when every copy of the work that
// was to answer is dropped first (its session ended while it waited) — with `ifDropped`, from the
// destructor. Shared (std::shared_ptr) by the closures that may answer, so a request from outside
// (a REST eval, a Lua route) is never left without a reply.

#include <functional>
#include <utility>

namespace lunette {

template <typename Reply> class AnswerOnce final
{
public:
    AnswerOnce(std::function<void(const Reply&)> done, Reply ifDropped)
        : m_done(std::move(done)), m_ifDropped(std::move(ifDropped))
    {
    }
    ~AnswerOnce()
    {
        if (m_done)
            m_done(m_ifDropped);
    }
    AnswerOnce(const AnswerOnce&) = delete;
    AnswerOnce& operator=(const AnswerOnce&) = delete;

    void operator()(const Reply& reply)
    {
        if (auto done = std::exchange(m_done, nullptr))
            done(reply);
    }

private:
    std::function<void(const Reply&)> m_done;
    Reply m_ifDropped;
};

} // namespace lunette
