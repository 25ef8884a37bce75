// cpuCausalAttention: forward and backward loop over (batch, key/value head)
// tasks; a task handles that head's query heads one after another, so the
// key and value gradients of a group are summed without locks.
#include "engine/model/cpuattention.h"

#include "engine/model/attention.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <limits>

namespace engine {

namespace {

struct Heads
{
    std::int64_t batch, heads, kvHeads, groups, T, S, headDim;
};

Heads headsOf(const torch::Tensor &q, const torch::Tensor &k)
{
    const std::int64_t heads = q.size(1), kvHeads = k.size(1);
    return { q.size(0), heads, kvHeads, heads / kvHeads, q.size(2), k.size(2), q.size(3) };
}

// Runs task(b, g, scratch) for every batch row b and key/value head g on the
// intra-op threads; scratch is a per-task pair of (T, S) buffers.
template <typename Task>
void forEachKvHead(const Heads &h, const Task &task)
{
    at::parallel_for(0, h.batch * h.kvHeads, 1, [&](std::int64_t begin, std::int64_t end) {
        torch::Tensor first = torch::empty({ h.T, h.S });  // (T, S)
        torch::Tensor second = torch::empty({ h.T, h.S }); // (T, S)
        for (std::int64_t task_ = begin; task_ < end; ++task_)
            task(task_ / h.kvHeads, task_ % h.kvHeads, first, second);
    });
}

class CausalAttentionFunction : public torch::autograd::Function<CausalAttentionFunction>
{
public:
    static torch::Tensor forward(torch::autograd::AutogradContext *ctx, const torch::Tensor &q, const torch::Tensor &k,
        const torch::Tensor &v, std::int64_t start, std::int64_t window, double scale, double softcap)
    {
        const Heads h = headsOf(q, k);
        const torch::Tensor blocked = blockedKeys(h.T, h.S, start, window);        // (T, S)
        torch::Tensor probs = torch::empty({ h.batch, h.heads, h.T, h.S });       // (B, nh, T, S)
        torch::Tensor out = torch::empty({ h.batch, h.T, h.heads, h.headDim });    // (B, T, nh, hd)
        forEachKvHead(h, [&](std::int64_t b, std::int64_t g, torch::Tensor &scores, torch::Tensor &) {
            const torch::Tensor keys = k[b][g], values = v[b][g]; // (S, hd)
            for (std::int64_t head = g * h.groups; head < (g + 1) * h.groups; ++head) {
                torch::Tensor p = probs[b][head]; // (T, S)
                at::addmm_out(scores, scores, q[b][head], keys.t(), 0.0, scale);
                if (softcap > 0.0)
                    scores.div_(softcap).tanh_().mul_(softcap); // cap·tanh(s/cap)
                scores.masked_fill_(blocked, -std::numeric_limits<float>::infinity());
                at::_softmax_out(p, scores, 1, false);
                torch::Tensor o = out.select(0, b).select(1, head); // (T, hd), rows nh·hd apart
                at::mm_out(o, p, values);
            }
        });
        ctx->save_for_backward({ q, k, v, probs });
        ctx->saved_data["scale"] = scale;
        ctx->saved_data["softcap"] = softcap;
        return out;
    }

    static torch::autograd::variable_list backward(
        torch::autograd::AutogradContext *ctx, torch::autograd::variable_list gradOutputs)
    {
        const torch::autograd::variable_list saved = ctx->get_saved_variables();
        const torch::Tensor &q = saved[0], &k = saved[1], &v = saved[2], &probs = saved[3];
        const double scale = ctx->saved_data["scale"].toDouble();
        const double softcap = ctx->saved_data["softcap"].toDouble();
        const Heads h = headsOf(q, k);
        const torch::Tensor gradOut = gradOutputs[0].contiguous();                          // (B, T, nh, hd)
        torch::Tensor gradQ = torch::empty({ h.batch, h.T, h.heads, h.headDim });          // (B, T, nh, hd)
        torch::Tensor gradK = torch::empty({ h.batch, h.S, h.kvHeads, h.headDim });        // (B, S, nkv, hd)
        torch::Tensor gradV = torch::empty({ h.batch, h.S, h.kvHeads, h.headDim });        // (B, S, nkv, hd)
        forEachKvHead(h, [&](std::int64_t b, std::int64_t g, torch::Tensor &gradP, torch::Tensor &gradScores) {
            const torch::Tensor keys = k[b][g], values = v[b][g];        // (S, hd)
            torch::Tensor gk = gradK.select(0, b).select(1, g);          // (S, hd)
            torch::Tensor gv = gradV.select(0, b).select(1, g);          // (S, hd)
            for (std::int64_t head = g * h.groups; head < (g + 1) * h.groups; ++head) {
                const double beta = head == g * h.groups ? 0.0 : 1.0; // the group's first head starts the sums
                const torch::Tensor p = probs[b][head];                   // (T, S)
                const torch::Tensor go = gradOut.select(0, b).select(1, head); // (T, hd)
                at::addmm_out(gv, gv, p.t(), go, beta, 1.0);                // dV += Pᵀ dO
                at::mm_out(gradP, go, values.t());                          // dP = dO Vᵀ
                at::_softmax_backward_data_out(gradScores, gradP, p, 1, torch::kFloat); // dS = P ⊙ (dP − rowsum)
                if (softcap > 0.0) { // through cap·tanh(s/cap): dS ⊙= 1 − tanh², tanh recomputed into dP's buffer
                    at::addmm_out(gradP, gradP, q[b][head], keys.t(), 0.0, scale / softcap);
                    gradP.tanh_();
                    gradScores.mul_(1.0 - gradP * gradP);
                }
                torch::Tensor gq = gradQ.select(0, b).select(1, head);       // (T, hd)
                at::addmm_out(gq, gq, gradScores, keys, 0.0, scale);         // dQ = s·dS K
                at::addmm_out(gk, gk, gradScores.t(), q[b][head], beta, scale); // dK += s·dSᵀ Q
            }
        });
        return { gradQ.transpose(1, 2), gradK.transpose(1, 2), gradV.transpose(1, 2), torch::Tensor(),
            torch::Tensor(), torch::Tensor(), torch::Tensor() };
    }
};

} // namespace

bool cpuAttentionSupports(const torch::Tensor &q)
{
    return q.device().is_cpu() && q.scalar_type() == torch::kFloat;
}

torch::Tensor cpuCausalAttention(const torch::Tensor &q, const torch::Tensor &k, const torch::Tensor &v,
    std::int64_t start, std::int64_t window, double scale, double softcap)
{
    if (scale <= 0.0)
        scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
    return CausalAttentionFunction::apply(q, k, v, start, window, scale, softcap).transpose(1, 2); // (B, nh, T, hd)
}

} // namespace engine
