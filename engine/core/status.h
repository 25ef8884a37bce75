// Status and Result<T>: how the engine reports failure across its public API.
// Inside the engine, code throws engine::Error; public entry points catch it
// (see guard()) and return a Status or Result<T> whose message names the
// object at fault and ends with a hint. Cancellation is not an error: APIs that
// can be cancelled report it in their own outcome types.
#pragma once

#include <exception>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace engine {

// The exception engine code throws; its message is shown to the user as is.
class Error : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

// Success, or a failure with a message for people.
class [[nodiscard]] Status
{
public:
    Status() = default;
    static Status success() { return {}; }
    static Status failure(std::string message) { return Status(std::move(message)); }

    bool isOk() const { return !m_failed; }
    explicit operator bool() const { return isOk(); }
    const std::string &message() const { return m_message; }

private:
    explicit Status(std::string message) : m_failed(true), m_message(std::move(message)) {}
    bool m_failed = false;
    std::string m_message;
};

// A value, or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result
{
public:
    Result(T value) : m_value(std::move(value)) {}
    Result(Status failure) : m_status(std::move(failure))
    {
        if (m_status.isOk())
            m_status = Status::failure("internal error: Result built from a successful Status without a value");
    }

    bool isOk() const { return m_value.has_value(); }
    explicit operator bool() const { return isOk(); }
    const Status &status() const { return m_status; }
    const std::string &message() const { return m_status.message(); }

    // Precondition: isOk().
    T &value() & { return *m_value; }
    const T &value() const & { return *m_value; }
    T &&value() && { return std::move(*m_value); }
    T *operator->() { return &*m_value; }
    const T *operator->() const { return &*m_value; }

private:
    std::optional<T> m_value;
    Status m_status;
};

// Runs fn() and turns any exception into a failed Status/Result. fn returns
// void (-> Status), Status, or T (-> Result<T>).
template <typename F>
auto guard(F &&fn)
{
    using R = std::invoke_result_t<F>;
    auto fail = [](std::string message) {
        if constexpr (std::is_void_v<R> || std::is_same_v<R, Status>)
            return Status::failure(std::move(message));
        else
            return Result<R>(Status::failure(std::move(message)));
    };
    using Out = decltype(fail(std::string()));
    try {
        if constexpr (std::is_void_v<R>) {
            fn();
            return Status::success();
        } else {
            return Out(fn());
        }
    } catch (const Error &e) {
        return fail(e.what());
    } catch (const std::bad_alloc &) {
        return fail("out of memory (hint: lower the batch size or the maximum sequence length)");
    } catch (const std::exception &e) {
        return fail(std::string("internal error: ") + e.what());
    }
}

} // namespace engine
