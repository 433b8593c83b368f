/*
 * dataflex_plugin.h -- the DataFlex plugin C ABI, version 1.4.
 *
 * This header is the only contract between the DataFlex runtime (the "host") and an algorithm plugin
 * (a shared library that decides which samples to train on, in what domain proportions, or with what
 * per-sample weights). It is C99, compiles as C99/C11 with -Wpedantic and as C++17, and contains no
 * C++ type.
 *
 * VERSIONING
 *   DATAFLEX_ABI_VERSION_MAJOR.MINOR. A minor release only APPENDS members at the end of structs and
 *   tables and appends new enumerators; anything else (remove, reorder, retype, change a meaning) is a
 *   new major. Every struct starts with `size_t struct_size`; tables also carry the ABI version they
 *   were compiled with. Before reading a member added after 1.0, check that `struct_size` covers it
 *   (DFX_STRUCT_HAS_MEMBER) and, for function pointers, that it is non-NULL. The host loads plugins of
 *   its own major and any minor; a plugin must likewise accept hosts of its major and any minor.
 *   Features that not every host offers hang off `extension_start` chains (dfx_extension_base).
 *
 *   1.0  the first release.
 *   1.1  per-struct size constants (<type>_STRUCT_SIZE) and default initialisers (<type>_init) for
 *        every struct; the host service `sample_tokens`; ownership and threading stated per function.
 *        Every 1.0 layout is unchanged (tests/abi/abi_layout_v1_0.c).
 *   1.2  `learning_rate` appended to dfx_select_args, dfx_mix_args and dfx_weight_args (LESS weighs
 *        the scores of each decision by it); `pool_sample_ids` appended to dfx_select_args (the
 *        stable training-set ids of a candidate pool). Every 1.1 offset is unchanged
 *        (tests/abi/abi_layout_v1_2.c).
 *   1.3  host services for rewards of generated text (NICE): `generate` (responses sampled from the
 *        current or a policy model), `reward` (a reward model or a metric against the reference
 *        answer) and `response_gradient_features` (weighted gradients of responses' log-likelihood);
 *        DFX_MODEL_POLICY; dfx_reward. Every 1.2 offset is unchanged
 *        (tests/abi/abi_layout_v1_3.c).
 *   1.4  DoReMi and ADAPT: `observed_excess_losses` appended to dfx_mix_args (per domain, the mean of
 *        max(0, training loss - reference loss) per token since the previous decision; offered to
 *        mixers whose manifest requires "observed_excess_losses"); `weight_form` appended to
 *        dfx_weight_args (the weighter says whether its weights are normalised by their sum, as before,
 *        or absolute per-sample scales); DFX_POOLING_POSITION_WEIGHTED. Every 1.3 offset is unchanged
 *        (tests/abi/abi_layout_v1_4.c).
 *
 * STRUCT SIZES
 *   `struct_size` is the size through the struct's last member in the header the code was compiled
 *   with: <type>_STRUCT_SIZE (PJRT's PJRT_DEFINE_STRUCT_TRAITS), never sizeof. sizeof includes tail
 *   padding, which a member appended by a later minor may occupy: a reader would then take padding for
 *   that member. Start every struct with its <type>_init function, which sets struct_size and the
 *   documented defaults; a zero-filled struct means, for example, the full unprojected gradient.
 *
 * ENTRY POINT
 *   A plugin exports exactly one symbol, DATAFLEX_PLUGIN_ENTRY_SYMBOL (see the bottom of this file),
 *   which returns a pointer to the plugin's static dfx_plugin_api table.
 *
 * CALLS, ERRORS, OWNERSHIP, THREADS
 *   - Functions return dfx_status (DFX_OK = 0). On error, output buffers are left untouched and a
 *     message is handed to the host through dfx_host_api.set_error (the host copies it). A variable
 *     size ([out] num_tokens, feature_dim, ...) is still set when the status is BUFFER_TOO_SMALL.
 *   - Inputs are borrowed for the duration of the call only. Outputs are caller-allocated with an
 *     explicit capacity. Where a size varies, passing a NULL buffer asks for the size first.
 *   - Strings a plugin returns in its table have static storage.
 *   - The host never calls one plugin instance from two threads at once. Host services are thread-safe.
 *     A plugin joins every thread it starts before `destroy` returns. The host does not unload a
 *     library while one of its instances lives.
 *   - Decisions are deterministic given the seeds the host passes in.
 *   Each function below says who owns each pointer and for how long, and what may run concurrently.
 */
#ifndef DATAFLEX_PLUGIN_H
#define DATAFLEX_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------------ */
/* Versions                                                                                         */
/* ------------------------------------------------------------------------------------------------ */

#define DATAFLEX_ABI_VERSION_MAJOR 1
#define DATAFLEX_ABI_VERSION_MINOR 4
/* One integer: major in the high 16 bits, minor in the low 16 bits. */
/* (clang-format would take the casts below for binary operators.) */
/* clang-format off */
#define DFX_MAKE_ABI_VERSION(major, minor) ((((uint32_t)(major)) << 16) | ((uint32_t)(minor) & 0xFFFFu))
#define DFX_ABI_VERSION_GET_MAJOR(v) ((uint32_t)(v) >> 16)
#define DFX_ABI_VERSION_GET_MINOR(v) ((uint32_t)(v) & 0xFFFFu)
/* clang-format on */
#define DATAFLEX_ABI_VERSION DFX_MAKE_ABI_VERSION(DATAFLEX_ABI_VERSION_MAJOR, DATAFLEX_ABI_VERSION_MINOR)

/* Size of a struct up to and including `member`: what `struct_size` must be set to for a struct
 * whose last known member is `member` (PJRT's PJRT_STRUCT_SIZE). */
#define DFX_STRUCT_SIZE(type, member) (offsetof(type, member) + sizeof(((type*)0)->member))
/* True when a struct received from the other side is large enough to hold `member`. */
#define DFX_STRUCT_HAS_MEMBER(ptr, type, member) ((ptr)->struct_size >= DFX_STRUCT_SIZE(type, member))
/* Defines the constant <type>_STRUCT_SIZE: the size through the struct's last member in this header
 * (since 1.1). Appending a member moves the constant to the new last member. */
#define DFX_DEFINE_STRUCT_SIZE(type, last_member) enum { type##_STRUCT_SIZE = DFX_STRUCT_SIZE(type, last_member) }

/* ------------------------------------------------------------------------------------------------ */
/* Status codes                                                                                     */
/* ------------------------------------------------------------------------------------------------ */

typedef int32_t dfx_status;
enum {
  DFX_OK = 0,
  DFX_ERR_INVALID_ARGUMENT = 1,    /* a parameter or input is malformed                       */
  DFX_ERR_UNIMPLEMENTED = 2,       /* this host or plugin does not offer the requested call   */
  DFX_ERR_BUFFER_TOO_SMALL = 3,    /* an output capacity is too small; ask for the size first */
  DFX_ERR_FAILED_PRECONDITION = 4, /* the call is valid but not in the current state          */
  DFX_ERR_OUT_OF_MEMORY = 5,
  DFX_ERR_INTERNAL = 6, /* any other failure; the message says what                */
  DFX_ERR_CANCELLED = 7 /* the run is stopping; return as soon as possible         */
};

/* ------------------------------------------------------------------------------------------------ */
/* Opaque handles                                                                                   */
/* ------------------------------------------------------------------------------------------------ */

/* The host's state behind the services table. Owned by the host; valid until the instance that was
 * created with it is destroyed. */
typedef struct dfx_host dfx_host;
/* One plugin instance. Owned by the plugin; created by dfx_plugin_api.create, freed by destroy. */
typedef struct dfx_instance dfx_instance;

/* Optional feature blocks, chained (PJRT's extension_start). `type` identifies the block; a reader
 * skips types it does not know. No extension type is defined in 1.0 to 1.4. Blocks and the chain are
 * owned by the side that offers them and live as long as the table they hang off. */
typedef struct dfx_extension_base {
  size_t struct_size;
  int32_t type;
  const struct dfx_extension_base* next;
} dfx_extension_base;
DFX_DEFINE_STRUCT_SIZE(dfx_extension_base, next);

/* ------------------------------------------------------------------------------------------------ */
/* Enumerations shared by host services and decisions                                               */
/* ------------------------------------------------------------------------------------------------ */

typedef enum dfx_plugin_kind {
  DFX_KIND_SELECTOR = 1, /* chooses k sample ids of the training pool            */
  DFX_KIND_MIXER = 2,    /* returns one proportion per domain                     */
  DFX_KIND_WEIGHTER = 3  /* returns one weight per sample of the current batch    */
} dfx_plugin_kind;

typedef enum dfx_dataset {
  DFX_DATASET_TRAIN = 0, /* the training pool; sample ids 0 .. size-1           */
  DFX_DATASET_EVAL = 1   /* the evaluation / validation set; its own id space   */
} dfx_dataset;

typedef enum dfx_model {
  DFX_MODEL_CURRENT = 0,   /* the model being trained, at its current weights               */
  DFX_MODEL_REFERENCE = 1, /* a frozen reference model named in the run config (DoReMi)     */
  DFX_MODEL_EMBEDDING = 2, /* a separate embedding model named in the run config            */
  DFX_MODEL_POLICY = 3     /* [1.3] a frozen policy model named in the run config (generate)    */
} dfx_model;

typedef enum dfx_log_level {
  DFX_LOG_DEBUG = 0,
  DFX_LOG_INFO = 1,
  DFX_LOG_WARNING = 2,
  DFX_LOG_ERROR = 3
} dfx_log_level;

typedef enum dfx_preconditioner {
  DFX_PRECONDITIONER_SGD = 0, /* the raw gradient                                              */
  DFX_PRECONDITIONER_ADAM = 1 /* LESS form: m'/sqrt(v'+1e-8) from the optimizer's moments       */
} dfx_preconditioner;

typedef enum dfx_projection {
  DFX_PROJECTION_NONE = 0,    /* the full trainable gradient (feature_dim = parameter count)  */
  DFX_PROJECTION_DENSE = 1,   /* seeded Rademacher (+-1) matrix, not scaled                    */
  DFX_PROJECTION_FACTORED = 2 /* input and output sides of each layer projected separately     */
} dfx_projection;

typedef enum dfx_pooling {
  DFX_POOLING_MEAN = 0, /* attention-masked mean over the sample's tokens */
  DFX_POOLING_LAST_TOKEN = 1,
  DFX_POOLING_FIRST_TOKEN = 2,
  DFX_POOLING_POSITION_WEIGHTED = 3 /* [1.4] mean weighted by position: token t of n counts t / sum(1..n) */
} dfx_pooling;

/* [1.4] How the host forms a micro-batch's loss from a weighter's weights w_i and the samples' mean
 * token losses l_i over a batch of B. */
typedef enum dfx_weight_form {
  DFX_WEIGHTS_NORMALIZED = 0, /* sum w_i l_i / sum w_i: only the ratios count (the default, as in 1.0) */
  DFX_WEIGHTS_ABSOLUTE = 1    /* sum w_i l_i / B: each weight scales its sample's step (ADAPT)        */
} dfx_weight_form;

/* [1.3] How `reward` scores a response. The metrics compare the response's text with the reference
 * answer's after SQuAD's normalisation (lower case; punctuation and the words a, an, the removed;
 * whitespace collapsed) and lie in [0, 1]. */
typedef enum dfx_reward {
  DFX_REWARD_MODEL = 0,       /* the run's reward model: sigmoid of its one logit, or the
                                 probability of its last class when it has several             */
  DFX_REWARD_EXACT_MATCH = 1, /* 1 when the normalised texts are equal, else 0                  */
  DFX_REWARD_TOKEN_F1 = 2,    /* F1 of the two bags of normalised words                         */
  DFX_REWARD_ROUGE_L = 3      /* ROUGE-L F1: longest common subsequence of the word sequences   */
} dfx_reward;

typedef enum dfx_param_type {
  DFX_PARAM_BOOL = 1,
  DFX_PARAM_INT = 2,
  DFX_PARAM_FLOAT = 3,
  DFX_PARAM_STRING = 4,
  DFX_PARAM_FLOAT_LIST = 5
} dfx_param_type;

/* ------------------------------------------------------------------------------------------------ */
/* Host services: arguments                                                                          */
/* Each model service takes one *_args struct (PJRT style) so that a minor version can append        */
/* options without a new function. Members marked [out] are written by the host. Every pointer in   */
/* an args struct is owned by the plugin that makes the call: inputs are read during the call only,  */
/* outputs are written during the call only, and the host keeps no pointer after it returns.         */
/* ------------------------------------------------------------------------------------------------ */

/* Size of a dataset and its domains. Defaults (dfx_dataset_info_args_init): dataset TRAIN. */
typedef struct dfx_dataset_info_args {
  size_t struct_size;
  dfx_host* host;
  int32_t dataset;    /* dfx_dataset */
  size_t num_samples; /* [out] */
  size_t num_domains; /* [out] domains are numbered 0 .. num_domains-1 */
} dfx_dataset_info_args;
DFX_DEFINE_STRUCT_SIZE(dfx_dataset_info_args, num_domains);

/* The domain of each of a set of samples. Defaults: dataset TRAIN. */
typedef struct dfx_sample_domains_args {
  size_t struct_size;
  dfx_host* host;
  int32_t dataset;           /* dfx_dataset */
  const int64_t* sample_ids; /* borrowed, num_samples entries */
  size_t num_samples;
  int32_t* domains_out; /* caller-allocated, num_samples entries */
} dfx_sample_domains_args;
DFX_DEFINE_STRUCT_SIZE(dfx_sample_domains_args, domains_out);

/* Mean token loss of each sample (labels masked as in training), in eval mode, batched by the host.
 * The host computes in float32 and hands float32 back: a loss that a plugin compares with another
 * differs from the trainer's float64 sums in the last bits. Defaults: dataset TRAIN, model CURRENT. */
typedef struct dfx_sample_losses_args {
  size_t struct_size;
  dfx_host* host;
  int32_t dataset;           /* dfx_dataset */
  int32_t model;             /* dfx_model: CURRENT or REFERENCE */
  const int64_t* sample_ids; /* borrowed, num_samples entries */
  size_t num_samples;
  float* losses_out; /* caller-allocated, num_samples entries */
} dfx_sample_losses_args;
DFX_DEFINE_STRUCT_SIZE(dfx_sample_losses_args, losses_out);

/* Per-token losses (float32) of a set of samples, concatenated, with each sample's token offsets and
 * domain: one loss per trained token (a token whose label is not masked, from the second token on).
 * Call once with token_losses_out == NULL to learn num_tokens, then again with a buffer.
 * Defaults: dataset TRAIN, model CURRENT. */
typedef struct dfx_token_losses_args {
  size_t struct_size;
  dfx_host* host;
  int32_t dataset;           /* dfx_dataset */
  int32_t model;             /* dfx_model: CURRENT or REFERENCE */
  const int64_t* sample_ids; /* borrowed, num_samples entries */
  size_t num_samples;
  float* token_losses_out; /* caller-allocated, token_capacity entries, or NULL to query */
  size_t token_capacity;
  int64_t* offsets_out; /* caller-allocated, num_samples+1 entries (sample i owns tokens
                           offsets[i] .. offsets[i+1]-1), or NULL */
  int32_t* domains_out; /* caller-allocated, num_samples entries, or NULL */
  size_t num_tokens;    /* [out] tokens that the buffers hold or need */
} dfx_token_losses_args;
DFX_DEFINE_STRUCT_SIZE(dfx_token_losses_args, num_tokens);

/* Mean loss per domain over a whole dataset. Call with losses_out == NULL to learn num_domains.
 * Defaults: dataset EVAL (the usual question: how well is each held-out domain predicted), model
 * CURRENT. */
typedef struct dfx_domain_losses_args {
  size_t struct_size;
  dfx_host* host;
  int32_t dataset;    /* dfx_dataset */
  int32_t model;      /* dfx_model: CURRENT or REFERENCE */
  double* losses_out; /* caller-allocated, capacity entries; NaN for a domain with no tokens; or NULL */
  size_t capacity;    /* must be >= the dataset's num_domains */
  size_t num_domains; /* [out] */
} dfx_domain_losses_args;
DFX_DEFINE_STRUCT_SIZE(dfx_domain_losses_args, num_domains);

/* Per-sample gradient features of the trainable parameters, as a dense row-major float32 matrix
 * num_samples x feature_dim. Call with features_out == NULL to learn feature_dim.
 * Defaults: dataset TRAIN, preconditioner SGD, projection DENSE to 8192 columns (LESS's), seed 0, all
 * trainable parameters. A zero-filled struct asks for projection NONE: the full gradient, one float
 * per trainable parameter per sample. */
typedef struct dfx_gradient_features_args {
  size_t struct_size;
  dfx_host* host;
  int32_t dataset;           /* dfx_dataset */
  const int64_t* sample_ids; /* borrowed, num_samples entries */
  size_t num_samples;
  int32_t preconditioner;       /* dfx_preconditioner */
  int32_t projection;           /* dfx_projection */
  uint32_t projection_dim;      /* columns after projection; ignored for DFX_PROJECTION_NONE */
  uint64_t projection_seed;     /* the same seed gives the same projection in every process */
  const char* parameter_filter; /* borrowed; NULL or "" = all trainable parameters; otherwise a
                                   comma-separated list of parameter-name substrings */
  float* features_out;          /* caller-allocated, capacity floats, or NULL to query */
  size_t capacity;
  size_t feature_dim; /* [out] */
} dfx_gradient_features_args;
DFX_DEFINE_STRUCT_SIZE(dfx_gradient_features_args, feature_dim);

/* Hidden-state embeddings of samples. Call with embeddings_out == NULL to learn embedding_dim.
 * Defaults: dataset TRAIN, model CURRENT, layer -1 (the last), pooling MEAN, normalize 1. */
typedef struct dfx_embeddings_args {
  size_t struct_size;
  dfx_host* host;
  int32_t dataset;           /* dfx_dataset */
  int32_t model;             /* dfx_model: CURRENT or EMBEDDING */
  const int64_t* sample_ids; /* borrowed, num_samples entries */
  size_t num_samples;
  int32_t layer;         /* hidden layer; -1 = the last (after the final norm) */
  int32_t pooling;       /* dfx_pooling */
  int32_t normalize;     /* non-zero: L2-normalise each row */
  float* embeddings_out; /* caller-allocated, capacity floats, or NULL to query */
  size_t capacity;
  size_t embedding_dim; /* [out] */
} dfx_embeddings_args;
DFX_DEFINE_STRUCT_SIZE(dfx_embeddings_args, embedding_dim);

/* [1.1] The token ids of samples as the model sees them (after the chat template), concatenated, and
 * which of them are trained: trained[t] is 1 when token t's loss counts (its label is not masked and
 * t is not the sample's first token), so that a sample's trained tokens number its token losses.
 * Call with token_ids_out and trained_out both NULL to learn num_tokens. Defaults: dataset TRAIN. */
typedef struct dfx_sample_tokens_args {
  size_t struct_size;
  dfx_host* host;
  int32_t dataset;           /* dfx_dataset */
  const int64_t* sample_ids; /* borrowed, num_samples entries */
  size_t num_samples;
  int32_t* token_ids_out; /* caller-allocated, capacity entries, or NULL */
  uint8_t* trained_out;   /* caller-allocated, capacity entries, or NULL */
  size_t capacity;
  int64_t* offsets_out; /* caller-allocated, num_samples+1 entries, or NULL */
  size_t num_tokens;    /* [out] tokens that the buffers hold or need */
} dfx_sample_tokens_args;
DFX_DEFINE_STRUCT_SIZE(dfx_sample_tokens_args, num_tokens);

/* [1.3] Responses sampled from a model for the prompts of samples. A sample's prompt is its tokens
 * before its first trained token (the rendered instruction), so a response takes the place of the
 * sample's answer. num_return responses per sample: response j of sample i is response
 * i * num_return + j. A response ends with the tokenizer's end-of-sequence token (kept) or after
 * max_new_tokens tokens. Deterministic: the same seed, sample id, j and weights give the same
 * response in any call and batch. No size query: token_ids_out must hold
 * num_samples * num_return * max_new_tokens tokens, which no answer exceeds.
 * Defaults: dataset EVAL, model CURRENT, num_return 1, max_new_tokens 64, temperature 1, top_p 1,
 * top_k 0 (no limit), seed 0. */
typedef struct dfx_generate_args {
  size_t struct_size;
  dfx_host* host;
  int32_t dataset;           /* dfx_dataset */
  int32_t model;             /* dfx_model: CURRENT or POLICY */
  const int64_t* sample_ids; /* borrowed, num_samples entries */
  size_t num_samples;
  uint32_t num_return;     /* responses per sample, >= 1 */
  uint32_t max_new_tokens; /* >= 1 */
  double temperature;      /* 0: greedy */
  double top_p;            /* nucleus mass in (0, 1] */
  int32_t top_k;           /* 0: no limit */
  uint64_t seed;
  int32_t* token_ids_out; /* caller-allocated, capacity entries: every response, concatenated */
  size_t capacity;
  int64_t* offsets_out; /* caller-allocated, num_samples * num_return + 1 entries */
  size_t num_tokens;    /* [out] tokens written */
} dfx_generate_args;
DFX_DEFINE_STRUCT_SIZE(dfx_generate_args, num_tokens);

/* [1.3] One reward per response. Response i answers the prompt of sample sample_ids[i]; its reference
 * is that sample's answer (its trained tokens). Metrics compare decoded text (special tokens
 * dropped); the reward model reads the run config's reward template filled with the prompt, the
 * reference and the response. Defaults: dataset EVAL, reward TOKEN_F1. */
typedef struct dfx_reward_args {
  size_t struct_size;
  dfx_host* host;
  int32_t dataset;           /* dfx_dataset */
  int32_t reward;            /* dfx_reward */
  const int64_t* sample_ids; /* borrowed, num_responses entries */
  size_t num_responses;
  const int32_t* response_tokens;  /* borrowed: every response, concatenated */
  const int64_t* response_offsets; /* borrowed, num_responses + 1 entries, from 0 */
  float* rewards_out;              /* caller-allocated, num_responses entries */
} dfx_reward_args;
DFX_DEFINE_STRUCT_SIZE(dfx_reward_args, rewards_out);

/* [1.3] Policy-gradient features of responses (NICE's target side): output row g is
 *   (1 / group_size) * sum over j < group_size of  w_m * grad( summed NLL of response m given its
 *   sample's prompt ),   m = g * group_size + j,
 * for the current model, projected as dfx_gradient_features_args does (SGD: a weighted sum of Adam-
 * preconditioned gradients would not be the preconditioned sum). Computed from one forward and one
 * backward per batch of responses, never one per response. Call with features_out == NULL to learn
 * feature_dim. Defaults: dataset EVAL, weights NULL (all 1), group_size 1, projection DENSE to 8192,
 * seed 0, all trainable parameters. */
typedef struct dfx_response_features_args {
  size_t struct_size;
  dfx_host* host;
  int32_t dataset;           /* dfx_dataset */
  const int64_t* sample_ids; /* borrowed, num_responses entries: whose prompt each response answers */
  size_t num_responses;
  const int32_t* response_tokens;  /* borrowed: every response, concatenated */
  const int64_t* response_offsets; /* borrowed, num_responses + 1 entries, from 0 */
  const float* weights;            /* borrowed, num_responses entries (the rewards), or NULL for 1 */
  size_t group_size;               /* responses per output row; divides num_responses */
  int32_t projection;              /* dfx_projection */
  uint32_t projection_dim;
  uint64_t projection_seed;
  const char* parameter_filter; /* borrowed; as in dfx_gradient_features_args */
  float* features_out;          /* caller-allocated, capacity floats, or NULL to query */
  size_t capacity;
  size_t feature_dim; /* [out] */
} dfx_response_features_args;
DFX_DEFINE_STRUCT_SIZE(dfx_response_features_args, feature_dim);

/* ------------------------------------------------------------------------------------------------ */
/* Host services table                                                                              */
/* ------------------------------------------------------------------------------------------------ */

/* Handed to the plugin in dfx_create_args. Owned by the host; valid until the instance created with it
 * is destroyed. Every function is thread-safe: a plugin may call services from threads of its own.
 * While the trainer runs a training step (forward, backward, optimizer step) it holds the model: a
 * model service called from another thread of the plugin blocks until the step ends, so it never
 * sees a half-updated model. Calls made from inside a plugin call (select, mix, weight) run at once.
 * Every model service either answers or returns a status with a message already recorded
 * (DFX_ERR_UNIMPLEMENTED when this host cannot serve it). */
typedef struct dfx_host_api {
  size_t struct_size;
  uint32_t abi_version; /* the host's DATAFLEX_ABI_VERSION */
  dfx_host* host;       /* pass as `host` to every call below */

  /* Records the message of the error the plugin is about to return; the last message before a
   * failing return is reported. Ownership: `message` (NUL-terminated UTF-8) is borrowed for the
   * call; the host copies it. Threads: any. */
  void (*set_error)(dfx_host* host, const char* message);
  /* Writes a line to the run's log. Ownership: `message` is borrowed and copied. Threads: any. */
  void (*log)(dfx_host* host, int32_t level, const char* message);
  /* Records a named scalar for the current step; it lands in the run's metrics log. Ownership: `name`
   * is borrowed and copied; a name of [a-z0-9_./]+ is recommended. Threads: any. */
  void (*record_metric)(dfx_host* host, const char* name, double value);

  /* The services. Ownership: every pointer in `args` stays the caller's (see the args structs); the
   * host keeps none after returning. Threads: any; a call blocks while a training step runs. */
  dfx_status (*dataset_info)(dfx_dataset_info_args* args);
  dfx_status (*sample_domains)(dfx_sample_domains_args* args);
  dfx_status (*sample_losses)(dfx_sample_losses_args* args);
  dfx_status (*token_losses)(dfx_token_losses_args* args);
  dfx_status (*domain_losses)(dfx_domain_losses_args* args);
  dfx_status (*gradient_features)(dfx_gradient_features_args* args);
  dfx_status (*embeddings)(dfx_embeddings_args* args);

  const dfx_extension_base* extension_start; /* NULL in 1.0 to 1.4 */

  /* [1.1] Token ids and the trained-token mask of samples. Ownership and threads: as the services
   * above. Check DFX_STRUCT_HAS_MEMBER(api, dfx_host_api, sample_tokens) and non-NULL first: a 1.0
   * host's table ends before it. */
  dfx_status (*sample_tokens)(dfx_sample_tokens_args* args);

  /* [1.3] Generation, rewards and response gradients. Ownership and threads: as the services above.
   * Check DFX_STRUCT_HAS_MEMBER(api, dfx_host_api, <member>) and non-NULL first. */
  dfx_status (*generate)(dfx_generate_args* args);
  dfx_status (*reward)(dfx_reward_args* args);
  dfx_status (*response_gradient_features)(dfx_response_features_args* args);
} dfx_host_api;
DFX_DEFINE_STRUCT_SIZE(dfx_host_api, response_gradient_features);

/* ------------------------------------------------------------------------------------------------ */
/* Plugin creation                                                                                  */
/* ------------------------------------------------------------------------------------------------ */

/* One parameter value, validated by the host against the manifest's [params] before creation. Every
 * parameter the manifest declares is passed, with its default when the run config omits it. Owned by
 * the host; valid during `create` only. */
typedef struct dfx_param {
  size_t struct_size;
  const char* name;         /* borrowed */
  int32_t type;             /* dfx_param_type */
  int32_t bool_value;       /* DFX_PARAM_BOOL: 0 or 1 */
  int64_t int_value;        /* DFX_PARAM_INT */
  double float_value;       /* DFX_PARAM_FLOAT */
  const char* string_value; /* DFX_PARAM_STRING: borrowed, NUL-terminated */
  const double* float_list; /* DFX_PARAM_FLOAT_LIST: borrowed, float_list_size entries */
  size_t float_list_size;
} dfx_param;
DFX_DEFINE_STRUCT_SIZE(dfx_param, float_list_size);

/* Everything in these args is borrowed for the duration of `create`, except `host_api`, which stays
 * valid until the instance is destroyed. A plugin copies the parameters it keeps. */
typedef struct dfx_create_args {
  size_t struct_size;
  const dfx_host_api* host_api;
  const dfx_param* const* params; /* num_params pointers */
  size_t num_params;
  uint64_t seed;              /* the run's seed for this plugin */
  dfx_instance* instance_out; /* [out] set by the plugin on success */
} dfx_create_args;
DFX_DEFINE_STRUCT_SIZE(dfx_create_args, instance_out);

/* ------------------------------------------------------------------------------------------------ */
/* Decisions                                                                                        */
/* ------------------------------------------------------------------------------------------------ */

/* Where in training a decision is taken. Steps count optimizer steps.
 * FROZEN: this struct is embedded by value in dfx_select_args, dfx_mix_args and dfx_weight_args, so
 * it can never grow (a member appended here would move every member after it in those structs).
 * What a later minor adds about a decision goes at the end of those args structs instead. */
typedef struct dfx_decision_context {
  size_t struct_size;
  int64_t step;           /* the optimizer step the decision is taken at                        */
  int64_t total_steps;    /* optimizer steps of the whole run                                  */
  int64_t decision_index; /* 0 for the first decision, then 1, 2, ...                          */
  int64_t max_decisions;  /* the number of decisions this run takes (update_times, or fewer when
                             training ends first); -1 when it is not known in advance (a
                             weighter's calls, or a recording that does not say)               */
  uint64_t seed;          /* deterministic seed for this decision (run seed and decision index) */
} dfx_decision_context;
DFX_DEFINE_STRUCT_SIZE(dfx_decision_context, seed);

/* Selector: choose num_select sample ids of the training pool [0, pool_size). Owned by the host;
 * valid during `select` only. */
typedef struct dfx_select_args {
  size_t struct_size;
  dfx_instance* instance;
  dfx_decision_context context;
  size_t pool_size;
  size_t num_select;
  int32_t allow_duplicates; /* 0: the ids must be distinct                                       */
  int64_t* selected_out;    /* caller-allocated, num_select entries                              */
  double* scores_out;       /* caller-allocated, num_select entries, pre-filled with NaN: the
                               plugin may store the metric of each chosen sample (for the logs)  */
  size_t num_selected;      /* [out] how many ids the plugin wrote; must equal num_select        */
  /* [1.2] The rate the optimizer applies at the next step (0-based step context.step); negative when
   * the host does not know it. Check DFX_STRUCT_HAS_MEMBER(args, dfx_select_args, learning_rate). */
  double learning_rate;
  /* [1.2] Borrowed, pool_size entries, or NULL. When the pool is a subset of the training set
   * (dataflex.candidates), pool id i -- the id services take and `selected_out` holds -- is training
   * sample pool_sample_ids[i], which changes between decisions: what a plugin keeps across decisions
   * (cached features, past scores) must be keyed by it. NULL: pool id i is training sample i. */
  const int64_t* pool_sample_ids;
} dfx_select_args;
DFX_DEFINE_STRUCT_SIZE(dfx_select_args, pool_sample_ids);

/* Mixer: one proportion per domain (non-negative, finite, positive sum; the host normalises). Owned
 * by the host; valid during `mix` only. */
typedef struct dfx_mix_args {
  size_t struct_size;
  dfx_instance* instance;
  dfx_decision_context context;
  size_t num_domains;
  const char* const* domain_names;   /* borrowed, num_domains entries                             */
  const double* current_proportions; /* borrowed, num_domains entries, summing to 1               */
  const double* observed_losses;     /* borrowed, num_domains entries: mean training loss per
                                        domain since the previous decision; NaN where unobserved  */
  const int64_t* observed_tokens;    /* borrowed, num_domains entries: tokens behind each mean    */
  double* proportions_out;           /* caller-allocated, num_domains entries                     */
  double learning_rate;              /* [1.2] as in dfx_select_args                               */
  /* [1.4] Borrowed, num_domains entries, or NULL unless the plugin's manifest requires the service
   * "observed_excess_losses" (the run then needs a reference model). Per domain: the mean over the
   * trained tokens observed since the previous decision of max(0, l_train - l_ref), l_train being the
   * token's loss in the training forward pass (before that step's update) and l_ref the reference
   * model's; NaN where no token was observed. */
  const double* observed_excess_losses;
} dfx_mix_args;
DFX_DEFINE_STRUCT_SIZE(dfx_mix_args, observed_excess_losses);

/* Weighter: one weight per sample of the current batch (non-negative, finite, not all zero). Owned by
 * the host; valid during `weight` only. */
typedef struct dfx_weight_args {
  size_t struct_size;
  dfx_instance* instance;
  dfx_decision_context context;
  size_t batch_size;
  const int64_t* sample_ids; /* borrowed, batch_size entries                 */
  const int32_t* domains;    /* borrowed, batch_size entries                 */
  const float* losses;       /* borrowed, batch_size entries: per-sample mean token loss, float32 */
  double* weights_out;       /* caller-allocated, batch_size entries          */
  double learning_rate;      /* [1.2] the rate of the step this batch is trained in; negative when
                                the host does not know it */
  int32_t weight_form;       /* [1.4] [out] dfx_weight_form; the host sets NORMALIZED before the call.
                                A plugin that needs ABSOLUTE checks that struct_size covers this member
                                (an older host cannot honour it) */
} dfx_weight_args;
DFX_DEFINE_STRUCT_SIZE(dfx_weight_args, weight_form);

/* Plugin state as a byte blob the host stores in checkpoints. save: call with buffer == NULL to learn
 * `size`, then with a buffer of at least that capacity. load: `buffer` is borrowed for the call. */
typedef struct dfx_state_args {
  size_t struct_size;
  dfx_instance* instance;
  void* buffer;
  size_t capacity; /* save: bytes available in buffer; load: bytes in buffer */
  size_t size;     /* save [out]: bytes written or needed                    */
} dfx_state_args;
DFX_DEFINE_STRUCT_SIZE(dfx_state_args, size);

/* ------------------------------------------------------------------------------------------------ */
/* The plugin's table                                                                               */
/* ------------------------------------------------------------------------------------------------ */

/* Returned by the entry point; static storage, owned by the plugin, never freed. */
typedef struct dfx_plugin_api {
  size_t struct_size;
  uint32_t abi_version; /* DATAFLEX_ABI_VERSION the plugin was built with        */
  const char* name;     /* static; equals the manifest's [plugin].name            */
  const char* version;  /* static; equals the manifest's [plugin].version         */
  int32_t kind;         /* dfx_plugin_kind; equals the manifest's [plugin].kind   */

  /* Creates an instance; on success sets args->instance_out and returns DFX_OK. Ownership: `args`
   * and the parameters are borrowed for the call; `args->host_api` stays valid until `destroy`; the
   * instance is the plugin's. Threads: the host may create instances of one library from several
   * threads at once, so `create` must not touch unguarded globals. */
  dfx_status (*create)(dfx_create_args* args);
  /* Frees an instance. Accepts NULL; cannot fail; joins any thread the instance started. Ownership:
   * the instance is gone when it returns. Threads: never concurrent with another call on the same
   * instance. */
  void (*destroy)(dfx_instance* instance);

  /* The decision of the plugin's kind must be non-NULL; the others are NULL. Ownership: `args` and
   * everything it points to are the host's, borrowed for the call; write outputs only on success.
   * Threads: the host never calls one instance from two threads at once; it may call different
   * instances concurrently. */
  /* select and mix run between training steps: the model is at rest, services answer at once. */
  dfx_status (*select)(dfx_select_args* args);
  dfx_status (*mix)(dfx_mix_args* args);
  /* weight runs inside a training step, while the trainer holds the model: services called from
   * this call answer at once, but a service called from another thread of the plugin blocks until
   * the step ends -- never wait inside `weight` for such a thread. */
  dfx_status (*weight)(dfx_weight_args* args);

  /* Optional (both NULL for a stateless plugin). Ownership: `args->buffer` is the host's, borrowed
   * for the call. Threads: as the decisions; called between decisions. */
  dfx_status (*save_state)(dfx_state_args* args);
  dfx_status (*load_state)(dfx_state_args* args);

  const dfx_extension_base* extension_start; /* NULL in 1.0 to 1.4 */
} dfx_plugin_api;
DFX_DEFINE_STRUCT_SIZE(dfx_plugin_api, extension_start);

/* ------------------------------------------------------------------------------------------------ */
/* Default initialisers (1.1)                                                                       */
/* Each zero-fills the struct, sets struct_size to <type>_STRUCT_SIZE and the defaults its comment   */
/* above names (llama.cpp's *_default_params). Start every struct you hand across with one of these. */
/* ------------------------------------------------------------------------------------------------ */

/* Zero-fills *s and sets its struct_size; the functions below add each struct's defaults. */
#define DFX_INIT_STRUCT(type, s)           \
  do {                                     \
    memset((s), 0, sizeof *(s));           \
    (s)->struct_size = type##_STRUCT_SIZE; \
  } while (0)

static inline void dfx_extension_base_init(dfx_extension_base* s) { DFX_INIT_STRUCT(dfx_extension_base, s); }
static inline void dfx_dataset_info_args_init(dfx_dataset_info_args* s) {
  DFX_INIT_STRUCT(dfx_dataset_info_args, s);
  s->dataset = DFX_DATASET_TRAIN;
}
static inline void dfx_sample_domains_args_init(dfx_sample_domains_args* s) {
  DFX_INIT_STRUCT(dfx_sample_domains_args, s);
  s->dataset = DFX_DATASET_TRAIN;
}
static inline void dfx_sample_losses_args_init(dfx_sample_losses_args* s) {
  DFX_INIT_STRUCT(dfx_sample_losses_args, s);
  s->dataset = DFX_DATASET_TRAIN;
  s->model = DFX_MODEL_CURRENT;
}
static inline void dfx_token_losses_args_init(dfx_token_losses_args* s) {
  DFX_INIT_STRUCT(dfx_token_losses_args, s);
  s->dataset = DFX_DATASET_TRAIN;
  s->model = DFX_MODEL_CURRENT;
}
static inline void dfx_domain_losses_args_init(dfx_domain_losses_args* s) {
  DFX_INIT_STRUCT(dfx_domain_losses_args, s);
  s->dataset = DFX_DATASET_EVAL;
  s->model = DFX_MODEL_CURRENT;
}
static inline void dfx_gradient_features_args_init(dfx_gradient_features_args* s) {
  DFX_INIT_STRUCT(dfx_gradient_features_args, s);
  s->dataset = DFX_DATASET_TRAIN;
  s->preconditioner = DFX_PRECONDITIONER_SGD;
  s->projection = DFX_PROJECTION_DENSE;
  s->projection_dim = 8192;
}
static inline void dfx_embeddings_args_init(dfx_embeddings_args* s) {
  DFX_INIT_STRUCT(dfx_embeddings_args, s);
  s->dataset = DFX_DATASET_TRAIN;
  s->model = DFX_MODEL_CURRENT;
  s->layer = -1;
  s->pooling = DFX_POOLING_MEAN;
  s->normalize = 1;
}
static inline void dfx_sample_tokens_args_init(dfx_sample_tokens_args* s) {
  DFX_INIT_STRUCT(dfx_sample_tokens_args, s);
  s->dataset = DFX_DATASET_TRAIN;
}
static inline void dfx_generate_args_init(dfx_generate_args* s) {
  DFX_INIT_STRUCT(dfx_generate_args, s);
  s->dataset = DFX_DATASET_EVAL;
  s->model = DFX_MODEL_CURRENT;
  s->num_return = 1;
  s->max_new_tokens = 64;
  s->temperature = 1.0;
  s->top_p = 1.0;
}
static inline void dfx_reward_args_init(dfx_reward_args* s) {
  DFX_INIT_STRUCT(dfx_reward_args, s);
  s->dataset = DFX_DATASET_EVAL;
  s->reward = DFX_REWARD_TOKEN_F1;
}
static inline void dfx_response_features_args_init(dfx_response_features_args* s) {
  DFX_INIT_STRUCT(dfx_response_features_args, s);
  s->dataset = DFX_DATASET_EVAL;
  s->group_size = 1;
  s->projection = DFX_PROJECTION_DENSE;
  s->projection_dim = 8192;
}
/* For hosts: a table of this header's version with every function NULL. */
static inline void dfx_host_api_init(dfx_host_api* s) {
  DFX_INIT_STRUCT(dfx_host_api, s);
  s->abi_version = DATAFLEX_ABI_VERSION;
}
static inline void dfx_param_init(dfx_param* s) { DFX_INIT_STRUCT(dfx_param, s); }
static inline void dfx_create_args_init(dfx_create_args* s) { DFX_INIT_STRUCT(dfx_create_args, s); }
/* max_decisions -1: not known. */
static inline void dfx_decision_context_init(dfx_decision_context* s) {
  DFX_INIT_STRUCT(dfx_decision_context, s);
  s->max_decisions = -1;
}
/* learning_rate -1: not known. */
static inline void dfx_select_args_init(dfx_select_args* s) {
  DFX_INIT_STRUCT(dfx_select_args, s);
  dfx_decision_context_init(&s->context);
  s->learning_rate = -1.0;
}
static inline void dfx_mix_args_init(dfx_mix_args* s) {
  DFX_INIT_STRUCT(dfx_mix_args, s);
  dfx_decision_context_init(&s->context);
  s->learning_rate = -1.0;
}
static inline void dfx_weight_args_init(dfx_weight_args* s) {
  DFX_INIT_STRUCT(dfx_weight_args, s);
  dfx_decision_context_init(&s->context);
  s->learning_rate = -1.0;
}
static inline void dfx_state_args_init(dfx_state_args* s) { DFX_INIT_STRUCT(dfx_state_args, s); }
/* For plugins: a table of this header's version with every function NULL. */
static inline void dfx_plugin_api_init(dfx_plugin_api* s) {
  DFX_INIT_STRUCT(dfx_plugin_api, s);
  s->abi_version = DATAFLEX_ABI_VERSION;
}

/* ------------------------------------------------------------------------------------------------ */
/* Entry point                                                                                      */
/* ------------------------------------------------------------------------------------------------ */

#define DATAFLEX_PLUGIN_ENTRY_SYMBOL "dataflex_plugin_get_api"

/* The one exported symbol. `host_abi_version` is the host's DATAFLEX_ABI_VERSION; the plugin returns
 * its static table, or NULL when it cannot serve a host of that major. Thread-safe. */
typedef const dfx_plugin_api* (*dfx_plugin_get_api_fn)(uint32_t host_abi_version);

#if defined(_WIN32)
#define DFX_PLUGIN_EXPORT __declspec(dllexport)
#else
#define DFX_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* A plugin defines exactly this function, e.g.
 *   DFX_PLUGIN_EXPORT const dfx_plugin_api* dataflex_plugin_get_api(uint32_t host_abi_version) {...} */
DFX_PLUGIN_EXPORT const dfx_plugin_api* dataflex_plugin_get_api(uint32_t host_abi_version);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DATAFLEX_PLUGIN_H */
